//! Build script: checks the message catalogs in `locales/` and compiles them into the crate.
//!
//! Every `locales/<code>.json` is a flat JSON object of `key → template`. `en.json` defines the
//! keys; every other file must have exactly the same keys, and each of its templates the same
//! `{placeholders}` as the English one, or the build fails saying which file and key are wrong.
//! A misspelt key in the code is a compile error too: the keys become the `Key` enum, and the
//! files the `Lang` enum (`tr.json` → `Lang::Tr`), so adding a language is adding one file.
//! Keys starting with `_` are notes for translators and are skipped. Templates are split into
//! text and placeholders here, once, so rendering at run time cannot fail.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

const DIR: &str = "locales";
const SOURCE: &str = "en";

/// `strftime`-like directives a `format.*` pattern may use (see src/i18n/date.rs).
const DIRECTIVES: [&str; 14] = [
    "%A", "%a", "%B", "%b", "%d", "%-d", "%m", "%Y", "%H", "%M", "%I", "%-I", "%p", "%%",
];

fn main() {
    println!("cargo:rerun-if-changed={DIR}");
    // sqlx::migrate! embeds migrations/ at compile time; a new file must rebuild the crate.
    println!("cargo:rerun-if-changed=migrations");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("i18n.rs");
    let code = match generate(Path::new(DIR)) {
        Ok(code) => code,
        Err(problems) => {
            eprintln!("error: the message catalogs in {DIR}/ are not consistent:");
            for problem in problems {
                eprintln!("  - {problem}");
            }
            std::process::exit(1);
        }
    };
    if let Err(e) = std::fs::write(&out, code) {
        eprintln!("error: cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
}

/// A template split into literal text and placeholder names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Arg(String),
}

struct Catalog {
    code: String,
    variant: String,
    messages: BTreeMap<String, Vec<Piece>>,
}

fn generate(dir: &Path) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let mut catalogs = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| vec![format!("cannot read {DIR}/: {e}")])?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        println!("cargo:rerun-if-changed={}", path.display());
        match read_catalog(&path) {
            Ok(catalog) => catalogs.push(catalog),
            Err(mut found) => problems.append(&mut found),
        }
    }
    // English first: it is `Lang::En`, the fallback, and the source of the keys.
    catalogs.sort_by_key(|c| (c.code != SOURCE, c.code.clone()));
    let Some(source) = catalogs.first().filter(|c| c.code == SOURCE) else {
        problems.push(format!(
            "{DIR}/{SOURCE}.json is missing: it defines the keys"
        ));
        return Err(problems);
    };
    for catalog in catalogs.iter().skip(1) {
        compare(source, catalog, &mut problems);
    }
    let mut variants = BTreeMap::new();
    for key in source.messages.keys() {
        if let Some(other) = variants.insert(variant(key), key) {
            problems.push(format!(
                "keys `{other}` and `{key}` would both be `Key::{}`",
                variant(key)
            ));
        }
    }
    if problems.is_empty() {
        Ok(emit(&catalogs))
    } else {
        Err(problems)
    }
}

fn read_catalog(path: &Path) -> Result<Catalog, Vec<String>> {
    let name = path.display().to_string();
    let code = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    if !valid_code(&code) {
        return Err(vec![format!(
            "{name}: the file name must be a language code such as `tr.json` or `pt-br.json` (lowercase)"
        )]);
    }
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{name}: {e}")])?;
    let entries: Entries = serde_json::from_str(&text).map_err(|e| vec![format!("{name}: {e}")])?;
    let mut problems = Vec::new();
    let mut messages = BTreeMap::new();
    for (key, template) in entries.0 {
        if key.starts_with('_') {
            continue;
        }
        if !valid_key(&key) {
            problems.push(format!(
                "{name}: key `{key}` must be lowercase words joined by `.` or `_`"
            ));
            continue;
        }
        let pieces = if key.starts_with("format.") {
            check_pattern(&template).map(|()| vec![Piece::Text(template.clone())])
        } else {
            split(&template)
        };
        match pieces {
            Ok(pieces) => {
                if messages.insert(key.clone(), pieces).is_some() {
                    problems.push(format!("{name}: key `{key}` appears twice"));
                }
            }
            Err(why) => problems.push(format!("{name}: `{key}`: {why}")),
        }
    }
    if problems.is_empty() {
        Ok(Catalog {
            variant: variant(&code),
            code,
            messages,
        })
    } else {
        Err(problems)
    }
}

/// Same keys as English, and the same placeholders in each template.
fn compare(source: &Catalog, catalog: &Catalog, problems: &mut Vec<String>) {
    let file = format!("{DIR}/{}.json", catalog.code);
    for (key, pieces) in &source.messages {
        match catalog.messages.get(key) {
            None => problems.push(format!("{file}: key `{key}` is missing")),
            Some(translated) => {
                let want = placeholders(pieces);
                let got = placeholders(translated);
                if want != got {
                    problems.push(format!(
                        "{file}: `{key}` has placeholders {got:?}; {SOURCE}.json has {want:?}"
                    ));
                }
            }
        }
    }
    for key in catalog.messages.keys() {
        if !source.messages.contains_key(key) {
            problems.push(format!(
                "{file}: key `{key}` is not in {SOURCE}.json (misspelt, or left over)"
            ));
        }
    }
}

fn placeholders(pieces: &[Piece]) -> BTreeSet<&str> {
    pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Arg(name) => Some(name.as_str()),
            Piece::Text(_) => None,
        })
        .collect()
}

/// `Hello {name}`, with `{{` and `}}` for literal braces (Slack's date tokens need them).
fn split(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' => {
                            name.push(c)
                        }
                        _ => {
                            return Err(format!(
                                "`{{{name}` is not a placeholder: write `{{name}}` (lowercase), or `{{{{` for a brace"
                            ));
                        }
                    }
                }
                if name.is_empty() {
                    return Err("`{}` names no placeholder".to_owned());
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Arg(name));
            }
            '}' => return Err("a lone `}`: write `}}` for a brace".to_owned()),
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// A date pattern uses only the directives the run-time formatter knows.
fn check_pattern(pattern: &str) -> Result<(), String> {
    let mut rest = pattern;
    while let Some(at) = rest.find('%') {
        let after = &rest[at..];
        let Some(directive) = DIRECTIVES.iter().find(|d| after.starts_with(**d)) else {
            return Err(format!(
                "unknown date directive at `{}`; known: {}",
                after.chars().take(3).collect::<String>(),
                DIRECTIVES.join(" ")
            ));
        };
        rest = &after[directive.len()..];
    }
    Ok(())
}

fn valid_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_lowercase()));
    first_ok
        && parts.all(|p| {
            (2..=8).contains(&p.len())
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn valid_key(key: &str) -> bool {
    key.split(['.', '_']).all(|word| {
        !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    }) && key.starts_with(|c: char| c.is_ascii_lowercase())
}

/// `cmd.in_past` → `CmdInPast`, `pt-br` → `PtBr`.
fn variant(name: &str) -> String {
    name.split(['.', '_', '-'])
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn emit(catalogs: &[Catalog]) -> String {
    let mut out = String::new();
    let langs: Vec<&str> = catalogs.iter().map(|c| c.variant.as_str()).collect();
    let source = &catalogs[0];
    let keys: Vec<&String> = source.messages.keys().collect();
    let _ = writeln!(
        out,
        "// Generated by build.rs from {DIR}/*.json. Do not edit."
    );
    let _ = writeln!(
        out,
        "/// A language with a catalog in `{DIR}/`; English is the fallback."
    );
    let _ = writeln!(
        out,
        "#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]"
    );
    let _ = writeln!(out, "pub enum Lang {{");
    for (i, catalog) in catalogs.iter().enumerate() {
        let _ = writeln!(out, "    /// `{DIR}/{}.json`", catalog.code);
        if i == 0 {
            let _ = writeln!(out, "    #[default]");
        }
        let _ = writeln!(out, "    {},", catalog.variant);
    }
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "impl Lang {{");
    let _ = writeln!(out, "    /// Every language, English first.");
    let _ = writeln!(
        out,
        "    pub const ALL: [Lang; {}] = [{}];",
        langs.len(),
        langs
            .iter()
            .map(|l| format!("Lang::{l}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "    /// The catalog's file name without `.json`: `en`, `tr`."
    );
    let _ = writeln!(out, "    pub const fn code(self) -> &'static str {{");
    let _ = writeln!(out, "        match self {{");
    for catalog in catalogs {
        let _ = writeln!(
            out,
            "            Lang::{} => {:?},",
            catalog.variant, catalog.code
        );
    }
    let _ = writeln!(out, "        }}\n    }}\n}}\n");

    let _ = writeln!(
        out,
        "/// A message in the catalogs: `{DIR}/{SOURCE}.json`'s keys, `cmd.in_past` as `Key::CmdInPast`."
    );
    let _ = writeln!(out, "#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]");
    let _ = writeln!(out, "pub enum Key {{");
    for key in &keys {
        let _ = writeln!(out, "    /// `{key}`");
        let _ = writeln!(out, "    {},", variant(key));
    }
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "impl Key {{");
    let _ = writeln!(
        out,
        "    /// Every key, in the catalogs' (alphabetical) order."
    );
    let _ = writeln!(out, "    pub const ALL: [Key; {}] = [", keys.len());
    for key in &keys {
        let _ = writeln!(out, "        Key::{},", variant(key));
    }
    let _ = writeln!(out, "    ];");
    let _ = writeln!(out, "    /// The key as written in the catalogs.");
    let _ = writeln!(out, "    pub const fn name(self) -> &'static str {{");
    let _ = writeln!(out, "        match self {{");
    for key in &keys {
        let _ = writeln!(out, "            Key::{} => {key:?},", variant(key));
    }
    let _ = writeln!(out, "        }}\n    }}");
    let _ = writeln!(
        out,
        "    /// The placeholders its templates take (the same in every language)."
    );
    let _ = writeln!(
        out,
        "    pub const fn placeholders(self) -> &'static [&'static str] {{"
    );
    let _ = writeln!(out, "        match self {{");
    for key in &keys {
        let names: Vec<String> = placeholders(&source.messages[*key])
            .into_iter()
            .map(|n| format!("{n:?}"))
            .collect();
        let _ = writeln!(
            out,
            "            Key::{} => &[{}],",
            variant(key),
            names.join(", ")
        );
    }
    let _ = writeln!(out, "        }}\n    }}\n}}\n");

    let _ = writeln!(
        out,
        "/// Each language's templates, in `Key::ALL` order, split into text and placeholders."
    );
    let _ = writeln!(
        out,
        "static MESSAGES: [[&[Piece]; {}]; {}] = [",
        keys.len(),
        langs.len()
    );
    for catalog in catalogs {
        let _ = writeln!(out, "    // {DIR}/{}.json", catalog.code);
        let _ = writeln!(out, "    [");
        for key in &keys {
            let pieces = catalog.messages.get(*key).map(Vec::as_slice).unwrap_or(&[]);
            let _ = writeln!(out, "        &[{}],", Pieces(pieces));
        }
        let _ = writeln!(out, "    ],");
    }
    let _ = writeln!(out, "];");
    out
}

struct Pieces<'a>(&'a [Piece]);

impl fmt::Display for Pieces<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, piece) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match piece {
                Piece::Text(text) => write!(f, "Piece::Text({text:?})")?,
                Piece::Arg(name) => write!(f, "Piece::Arg({name:?})")?,
            }
        }
        Ok(())
    }
}

/// A JSON object's string entries in file order, duplicates kept (so they can be reported).
struct Entries(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Entries, D::Error> {
        struct Flat;
        impl<'de> Visitor<'de> for Flat {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a flat JSON object of \"key\": \"template\" strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Flat)
    }
}
