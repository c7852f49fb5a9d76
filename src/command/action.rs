//! The words that act on meetings instead of scheduling one: `list`, `cancel <meeting id>`
//! and `new` (the form), in English and Turkish.

use super::error::CommandError;
use super::fold;

/// What a one-word command asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `list`: the invoker's upcoming meetings.
    List,
    /// `cancel 857 4606 5432`: cancel one meeting by its Zoom id.
    Cancel(u64),
    /// `new`: open the scheduling form.
    New,
}

/// Reads `text` as an action, or `None` when it is a meeting to schedule. Only the exact
/// words count, so topics like "New hire onboarding" or "List review" stay topics.
pub(crate) fn parse(text: &str) -> Option<Result<Action, CommandError>> {
    let mut words = text.split_whitespace();
    let first = fold::key(words.next()?);
    let rest: Vec<&str> = words.collect();
    match (first.as_str(), rest.as_slice()) {
        ("list" | "liste" | "listele", []) => Some(Ok(Action::List)),
        ("new" | "yeni" | "form", []) => Some(Ok(Action::New)),
        // `cancel` alone: show the list, whose buttons cancel.
        ("cancel" | "iptal", []) => Some(Ok(Action::List)),
        ("cancel" | "iptal", id) if looks_like_id(id) => Some(meeting_id(id)),
        _ => None,
    }
}

/// Digits, maybe grouped with spaces or dashes as Zoom shows them (`857 4606 5432`).
fn looks_like_id(words: &[&str]) -> bool {
    !words.is_empty()
        && words.iter().all(|w| {
            w.chars().all(|c| c.is_ascii_digit() || c == '-')
                && w.chars().any(|c| c.is_ascii_digit())
        })
}

fn meeting_id(words: &[&str]) -> Result<Action, CommandError> {
    let digits: String = words
        .concat()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let typed = words.join(" ");
    // Zoom meeting ids have 9 to 11 digits today; leave room for growth, refuse the rest.
    match digits.parse::<u64>() {
        Ok(id) if (9..=13).contains(&digits.len()) => Ok(Action::Cancel(id)),
        _ => Err(CommandError::InvalidMeetingId { word: typed }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_read_only_from_their_exact_words() {
        let cases = [
            ("list", Some(Ok(Action::List))),
            ("LİSTE", Some(Ok(Action::List))),
            ("new", Some(Ok(Action::New))),
            ("yeni", Some(Ok(Action::New))),
            ("cancel", Some(Ok(Action::List))),
            (
                "cancel 857 4606 5432",
                Some(Ok(Action::Cancel(85_746_065_432))),
            ),
            (
                "iptal 85746065432",
                Some(Ok(Action::Cancel(85_746_065_432))),
            ),
            (
                "cancel 857-4606-5432",
                Some(Ok(Action::Cancel(85_746_065_432))),
            ),
            (
                "cancel 12",
                Some(Err(CommandError::InvalidMeetingId { word: "12".into() })),
            ),
            ("cancel planning 30m", None),
            ("New hire onboarding 30m", None),
            ("list review tomorrow 3pm", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), expected, "{text:?}");
        }
    }
}
