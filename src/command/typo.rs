//! Misspelt and shorthand schedule words we do not read (`tmrw`, `2moro`, `wensday`,
//! `nxt fri`): refused with a suggestion instead of silently becoming part of the topic.

use super::date;
use super::error::WordKind;

/// Folded keys people type for a date word, with what they meant. Only words that are not
/// themselves English or Turkish words, so no real topic is refused.
const DATE_WORDS: &[(&str, &str)] = &[
    ("tmrw", "tomorrow"),
    ("tmr", "tomorrow"),
    ("tmrow", "tomorrow"),
    ("tmro", "tomorrow"),
    ("tmw", "tomorrow"),
    ("tmorrow", "tomorrow"),
    ("tomoz", "tomorrow"),
    ("tomoro", "tomorrow"),
    ("tomorro", "tomorrow"),
    ("tomorow", "tomorrow"),
    ("tomrow", "tomorrow"),
    ("tomrrow", "tomorrow"),
    ("tomrorow", "tomorrow"),
    ("tommorow", "tomorrow"),
    ("tommorrow", "tomorrow"),
    ("tomorrrow", "tomorrow"),
    ("2moro", "tomorrow"),
    ("2morro", "tomorrow"),
    ("2morrow", "tomorrow"),
    ("2mrw", "tomorrow"),
    ("2mro", "tomorrow"),
    ("tdy", "today"),
    ("tday", "today"),
    ("tonight", "today"),
    ("tonite", "today"),
    ("2nite", "today"),
    ("mondy", "monday"),
    ("monady", "monday"),
    ("mnday", "monday"),
    ("tuseday", "tuesday"),
    ("tusday", "tuesday"),
    ("teusday", "tuesday"),
    ("tuesay", "tuesday"),
    ("wensday", "wednesday"),
    ("wendsday", "wednesday"),
    ("wednsday", "wednesday"),
    ("wedensday", "wednesday"),
    ("wedsday", "wednesday"),
    ("wednesay", "wednesday"),
    ("thrusday", "thursday"),
    ("thurday", "thursday"),
    ("thursay", "thursday"),
    ("thuresday", "thursday"),
    ("firday", "friday"),
    ("fridy", "friday"),
    ("frday", "friday"),
    ("fryday", "friday"),
    ("friady", "friday"),
    ("saterday", "saturday"),
    ("satuday", "saturday"),
    ("saturay", "saturday"),
    ("sundy", "sunday"),
    ("snuday", "sunday"),
];

/// Misspellings of `next`, caught only before a weekday (`nxt fri`).
const NEXT_WORDS: [&str; 4] = ["nxt", "nex", "nxet", "enxt"];

/// If `keys` is a misspelt schedule word, its kind and what was probably meant.
pub(crate) fn check(keys: &[&str]) -> Option<(WordKind, Option<String>)> {
    match keys {
        // Every entry is 3 to 9 bytes long and starts with one of these.
        [key]
            if !(3..=9).contains(&key.len())
                || !key.starts_with(['t', '2', 'm', 'w', 'f', 's']) =>
        {
            None
        }
        [key] => DATE_WORDS
            .iter()
            .find(|(typo, _)| typo == key)
            .map(|(_, meant)| (WordKind::Date, Some((*meant).to_owned()))),
        [next, day] if NEXT_WORDS.contains(next) && date::weekday(day).is_some() => {
            Some((WordKind::Date, Some(format!("next {day}"))))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_suggest_the_word_meant() {
        for (keys, meant) in [
            (&["tmrw"][..], "tomorrow"),
            (&["2moro"][..], "tomorrow"),
            (&["wensday"][..], "wednesday"),
            (&["nxt", "fri"][..], "next fri"),
        ] {
            assert_eq!(
                check(keys),
                Some((WordKind::Date, Some(meant.to_owned()))),
                "{keys:?}"
            );
        }
    }

    #[test]
    fn the_quick_rejection_matches_the_table() {
        for (typo, _) in DATE_WORDS {
            assert!((3..=9).contains(&typo.len()), "{typo}");
            assert!(typo.starts_with(['t', '2', 'm', 'w', 'f', 's']), "{typo}");
        }
    }

    #[test]
    fn real_words_are_not_typos() {
        for keys in [
            &["tomorrow"][..],
            &["today"][..],
            &["next", "fri"][..],
            &["nxt", "steps"][..],
            &["toady"][..],
            &["sunday"][..],
        ] {
            assert_eq!(check(keys), None, "{keys:?}");
        }
    }
}
