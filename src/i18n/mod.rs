//! Replies in the user's language: the message catalogs (`locales/*.json`, one file per
//! language, checked and compiled in by `build.rs`), the [`Lang`] a Slack locale maps to, and
//! rendering a message by [`Key`] with named arguments.
//!
//! A leaf module: it knows nothing of Slack, Zoom or the store. Templates hold mrkdwn or plain
//! text exactly as the replies show it; escaping what goes into a placeholder stays the
//! caller's job, as it was with the literals. Placeholders are `{name}`; `{{` and `}}` are
//! literal braces (Slack's date tokens use them). A misspelt key is a compile error (the keys
//! are an enum), and so is a wrong argument name given to [`t!`].

mod date;

use std::fmt::{self, Write as _};

/// A template's parts: literal text, or a placeholder to fill.
#[derive(Debug)]
enum Piece {
    Text(&'static str),
    Arg(&'static str),
}

// `Lang`, `Key` and the `MESSAGES` table.
include!(concat!(env!("OUT_DIR"), "/i18n.rs"));

impl Lang {
    /// The language whose catalog is named by `code` (`tr`, `pt-br`), or by its start
    /// (`tr-TR`, `en_US`): case-insensitive, `_` read as `-`. `None` when there is no catalog.
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase().replace('_', "-");
        let mut tag = code.as_str();
        loop {
            if let Some(lang) = Lang::ALL.into_iter().find(|l| l.code() == tag) {
                return Some(lang);
            }
            tag = tag.rsplit_once('-')?.0;
        }
    }

    /// The language for a Slack locale (`tr-TR` → Turkish); English for any other.
    pub fn from_locale(locale: &str) -> Lang {
        Lang::from_code(locale).unwrap_or_default()
    }

    /// [`from_locale`](Self::from_locale) for a user whose locale may be unknown (English).
    pub fn from_user(locale: Option<&str>) -> Lang {
        locale.map_or_else(Lang::default, Lang::from_locale)
    }

    /// The message `key` with its placeholders filled from `args` (name, value). A placeholder
    /// without an argument is left as `{name}`; in debug builds (the tests) it, or an argument
    /// the template does not take, is a panic, so a wrong name cannot go unnoticed.
    pub fn render(self, key: Key, args: &[(&str, &dyn fmt::Display)]) -> String {
        debug_assert!(
            args.iter()
                .all(|(name, _)| key.placeholders().contains(name))
                && key
                    .placeholders()
                    .iter()
                    .all(|p| args.iter().any(|(name, _)| name == p)),
            "{} takes {:?}; given {:?}",
            key.name(),
            key.placeholders(),
            args.iter().map(|(name, _)| *name).collect::<Vec<_>>()
        );
        let mut out = String::new();
        for piece in self.pieces(key) {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Arg(name) => match args.iter().find(|(given, _)| given == name) {
                    Some((_, value)) => {
                        let _ = write!(out, "{value}");
                    }
                    None => {
                        let _ = write!(out, "{{{name}}}");
                    }
                },
            }
        }
        out
    }

    /// A message that takes no arguments, as it stands in the catalog.
    pub fn text(self, key: Key) -> &'static str {
        debug_assert!(
            key.placeholders().is_empty(),
            "{} takes arguments",
            key.name()
        );
        match self.pieces(key) {
            [Piece::Text(text)] => text,
            _ => "",
        }
    }

    /// `one` when `n` is 1, else `other`: the plural rule of the catalogs' `*.one` and
    /// `*.other` keys (a language without plurals after numbers, like Turkish, gives both the
    /// same text).
    pub fn count(n: impl Into<i64>, one: Key, other: Key) -> Key {
        if n.into() == 1 { one } else { other }
    }

    /// `1st`, `2nd`, `3rd`, `11th` in English; `1.` in Turkish (`ordinal.*` keys).
    pub fn ordinal(self, n: u32) -> String {
        let key = match (n % 10, n % 100) {
            (_, 11..=13) => Key::OrdinalOther,
            (1, _) => Key::OrdinalOne,
            (2, _) => Key::OrdinalTwo,
            (3, _) => Key::OrdinalFew,
            _ => Key::OrdinalOther,
        };
        self.render(key, &[("n", &n)])
    }

    /// `a, b and c` (`list.and`, `list.separator`); one item alone, nothing for none.
    pub fn list(self, items: &[impl AsRef<str>]) -> String {
        match items.split_last() {
            Some((last, rest)) if !rest.is_empty() => {
                let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
                let rest = rest.join(self.text(Key::ListSeparator));
                self.render(Key::ListAnd, &[("rest", &rest), ("last", &last.as_ref())])
            }
            Some((last, _)) => last.as_ref().to_owned(),
            None => String::new(),
        }
    }

    fn pieces(self, key: Key) -> &'static [Piece] {
        MESSAGES
            .get(self as usize)
            .and_then(|messages| messages.get(key as usize))
            .copied()
            .unwrap_or(&[])
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whether `names` are exactly the placeholders of `key` (for [`t!`], at compile time).
#[doc(hidden)]
pub const fn takes_exactly(key: Key, names: &[&str]) -> bool {
    let wanted = key.placeholders();
    if wanted.len() != names.len() {
        return false;
    }
    let mut i = 0;
    while i < wanted.len() {
        if !contains(names, wanted[i]) {
            return false;
        }
        i += 1;
    }
    true
}

const fn contains(names: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < names.len() {
        if same(names[i].as_bytes(), name.as_bytes()) {
            return true;
        }
        i += 1;
    }
    false
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `t!(lang, CmdInPast, local, zone = zone.name(), ago)`: renders `Key::CmdInPast` in `lang`,
/// each argument named like its placeholder (a bare name is a variable of that name). The
/// names must be exactly the key's placeholders: anything else does not compile.
macro_rules! t {
    (@value $name:ident) => { $name };
    (@value $name:ident $value:expr) => { $value };
    ($lang:expr, $key:ident $(,)?) => {{
        const {
            assert!(
                $crate::i18n::takes_exactly($crate::i18n::Key::$key, &[]),
                concat!("t!(", stringify!($key), ") needs the arguments its template takes")
            )
        };
        $lang.render($crate::i18n::Key::$key, &[])
    }};
    // The arguments are borrowed only within the `let`, so none is held across an `.await`.
    ($lang:expr, $key:ident, $($name:ident $(= $value:expr)?),+ $(,)?) => {{
        const {
            assert!(
                $crate::i18n::takes_exactly($crate::i18n::Key::$key, &[$(stringify!($name)),+]),
                concat!(
                    "t!(", stringify!($key), ", ", $(stringify!($name), " "),+,
                    "): the names must be exactly its placeholders in locales/en.json"
                )
            )
        };
        let rendered = $lang.render(
            $crate::i18n::Key::$key,
            &[$((stringify!($name), &$crate::i18n::t!(@value $name $($value)?) as &dyn ::std::fmt::Display)),+],
        );
        rendered
    }};
}
pub(crate) use t;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slack_locale_picks_its_language_and_anything_else_english() {
        let cases = [
            ("tr-TR", Lang::Tr),
            ("tr", Lang::Tr),
            ("TR_tr", Lang::Tr),
            (" tr-Latn-TR ", Lang::Tr),
            ("en-US", Lang::En),
            ("en-GB", Lang::En),
            ("de-DE", Lang::En),
            ("", Lang::En),
            ("-", Lang::En),
            ("trk", Lang::En),
        ];
        for (locale, want) in cases {
            assert_eq!(Lang::from_locale(locale), want, "{locale:?}");
        }
        assert_eq!(Lang::from_user(None), Lang::En);
        assert_eq!(Lang::from_user(Some("tr-TR")), Lang::Tr);
        assert_eq!(Lang::from_code("de"), None);
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang), "{lang}");
        }
    }

    /// Every key renders in every language with each placeholder filled, and every template
    /// that is not a date pattern has no `{name}` left unfilled.
    #[test]
    fn every_message_renders_in_every_language_with_its_placeholders_filled() {
        for lang in Lang::ALL {
            for key in Key::ALL {
                let values: Vec<String> = key
                    .placeholders()
                    .iter()
                    .map(|p| format!("<<{p}>>"))
                    .collect();
                let args: Vec<(&str, &dyn fmt::Display)> = key
                    .placeholders()
                    .iter()
                    .zip(&values)
                    .map(|(name, value)| (*name, value as &dyn fmt::Display))
                    .collect();
                let text = lang.render(key, &args);
                let case = format!("{lang} {}", key.name());
                assert!(!text.trim().is_empty(), "{case} is empty");
                for value in &values {
                    assert!(
                        text.contains(value.as_str()),
                        "{case}: {value} missing in {text}"
                    );
                }
                for placeholder in key.placeholders() {
                    assert!(
                        !text.contains(&format!("{{{placeholder}}}")),
                        "{case}: {{{placeholder}}} left in {text}"
                    );
                }
            }
        }
    }

    #[test]
    fn templates_with_no_arguments_are_the_catalogs_text() {
        assert_eq!(Lang::En.text(Key::ButtonJoin), "Join");
        assert_eq!(Lang::Tr.text(Key::ButtonJoin), "Katıl");
    }

    #[test]
    fn ordinals_and_lists_follow_the_language() {
        for (n, en, tr) in [
            (1, "1st", "1."),
            (2, "2nd", "2."),
            (3, "3rd", "3."),
            (4, "4th", "4."),
            (11, "11th", "11."),
            (12, "12th", "12."),
            (13, "13th", "13."),
            (21, "21st", "21."),
            (22, "22nd", "22."),
            (23, "23rd", "23."),
            (31, "31st", "31."),
        ] {
            assert_eq!(Lang::En.ordinal(n), en, "{n}");
            assert_eq!(Lang::Tr.ordinal(n), tr, "{n}");
        }
        for (items, en, tr) in [
            (&["a"][..], "a", "a"),
            (&["a", "b"][..], "a and b", "a ve b"),
            (&["a", "b", "c"][..], "a, b and c", "a, b ve c"),
        ] {
            assert_eq!(Lang::En.list(items), en);
            assert_eq!(Lang::Tr.list(items), tr);
        }
        assert_eq!(Lang::En.list(&[] as &[&str]), "");
    }

    #[test]
    fn the_macro_names_each_argument() {
        let topic = "Retro";
        let got = t!(Lang::En, ScheduleRestartedBefore, topic);
        assert!(got.contains("*Retro*"), "{got}");
        let got = t!(
            Lang::Tr,
            ManageCardUpdated,
            first = "Tamam.",
            channel = "C1"
        );
        assert!(got.starts_with("Tamam.") && got.contains("<#C1>"), "{got}");
    }
}
