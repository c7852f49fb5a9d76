//! Match keys for words: case folded for English and Turkish alike, Turkish letters reduced to
//! ASCII, and trailing punctuation or a Turkish apostrophe suffix (`15:00'te`) dropped.

/// Turkish case endings written after an apostrophe on numbers, dates and names, folded to
/// ASCII (`'ı'` → `'i'`): dative (`yarın'a`, `20'ye`), locative (`15:00'te`), ablative
/// (`1 aralık'tan`), genitive, accusative and possessive (`ayın 1'i`, `1'inde`).
/// English `'s`, `'t`, `'ll` are deliberately absent, so `Monday's` is not `monday`.
const SUFFIXES: &[&str] = &[
    "a", "e", "ya", "ye", "da", "de", "ta", "te", "dan", "den", "tan", "ten", "i", "u", "yi", "yu",
    "in", "un", "nin", "nun", "ina", "ine", "una", "une", "inda", "inde", "unda", "unde", "nda",
    "nde", "ndan", "nden", "si", "su", "sina", "sine", "sinda", "sinde",
];

/// The key the parsers match on.
///
/// Lowercase with the dotted and dotless i treated alike in both directions (`İ`, `I`, `ı`
/// and `i` all become `i`), so `PAZARTESİ`, `SALI`, `Salı` and `sali` match, and English
/// capitals stay English (`FRIDAY` → `friday`). `ş ç ğ ö ü` become `s c g o u`, so people
/// typing without Turkish letters (`carsamba`, `bugun`) are understood; decomposed accents
/// (a letter plus a combining mark) fold the same way. One trailing `,` or `.` is dropped
/// (`dec 1,`, `3pm.`), then one Turkish apostrophe suffix (`yarın'a` → `yarin`).
pub(crate) fn key(raw: &str) -> String {
    let mut key = fold_case(raw);
    if let Some(stripped) = key.strip_suffix([',', '.'])
        && !stripped.is_empty()
    {
        key.truncate(stripped.len());
    }
    if let Some(at) = key.rfind('\'')
        && at > 0
        && key
            .get(at + 1..)
            .is_some_and(|suffix| SUFFIXES.contains(&suffix))
    {
        key.truncate(at);
    }
    key
}

/// Case folding with the Turkish letters reduced to ASCII; ASCII words take the fast path.
fn fold_case(raw: &str) -> String {
    if raw.is_ascii() {
        return raw.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            'I' | 'İ' | 'ı' => out.push('i'),
            'Ş' | 'ş' => out.push('s'),
            'Ç' | 'ç' => out.push('c'),
            'Ğ' | 'ğ' => out.push('g'),
            'Ö' | 'ö' => out.push('o'),
            'Ü' | 'ü' => out.push('u'),
            // Phones type the typographic apostrophe: `15:00’te`.
            '\u{2019}' | '\u{2018}' | '\u{02BC}' => out.push('\''),
            // Combining marks of decomposed text (`s` + cedilla, `i` + dot above).
            '\u{0300}'..='\u{036F}' => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_and_dotless_i_fold_together_in_both_directions() {
        for (raw, want) in [
            ("PAZARTESİ", "pazartesi"),
            ("Pazartesi", "pazartesi"),
            ("SALI", "sali"),
            ("Salı", "sali"),
            ("salı", "sali"),
            ("sali", "sali"),
            ("ARALIK", "aralik"),
            ("aralık", "aralik"),
            ("Aralik", "aralik"),
            ("İ", "i"),
            ("ı", "i"),
            ("FRIDAY", "friday"),
            ("Friday", "friday"),
        ] {
            assert_eq!(key(raw), want, "{raw}");
        }
    }

    #[test]
    fn turkish_letters_fold_to_ascii_even_when_decomposed() {
        for (raw, want) in [
            ("ÇARŞAMBA", "carsamba"),
            ("çarşamba", "carsamba"),
            ("c\u{327}ars\u{327}amba", "carsamba"),
            ("PERŞEMBE", "persembe"),
            ("bugün", "bugun"),
            ("BUGÜN", "bugun"),
            ("öğleden", "ogleden"),
            ("ŞUBAT", "subat"),
            ("AĞUSTOS", "agustos"),
            ("EYLÜL", "eylul"),
            ("i\u{307}", "i"),
            ("Réunion", "réunion"),
        ] {
            assert_eq!(key(raw), want, "{raw}");
        }
    }

    #[test]
    fn turkish_apostrophe_suffixes_and_punctuation_are_dropped() {
        for (raw, want) in [
            ("15:00'te", "15:00"),
            ("15:00’te", "15:00"),
            ("yarın'a", "yarin"),
            ("aralık'a", "aralik"),
            ("20'ye", "20"),
            ("1'inde", "1"),
            ("1'i", "1"),
            ("aralık'tan", "aralik"),
            ("yarın'a,", "yarin"),
            ("3PM.", "3pm"),
            ("dec,", "dec"),
            (",", ","),
            ("Monday's", "monday's"),
            ("don't", "don't"),
            ("'a", "'a"),
        ] {
            assert_eq!(key(raw), want, "{raw}");
        }
    }
}
