//! Both manifests install the app in one paste: they must validate against Slack's official schema.

use serde_json::Value;

const MANIFESTS: [&str; 2] = ["manifest.yml", "manifest-socket.yml"];

fn manifest(name: &str) -> Value {
    let path = format!("{}/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"))
}

fn bot_scopes(m: &Value) -> Vec<&str> {
    m["oauth_config"]["scopes"]["bot"]
        .as_array()
        .expect("bot scopes")
        .iter()
        .map(|s| s.as_str().expect("a scope is a string"))
        .collect()
}

/// Every string value in the document, with its path.
fn strings<'a>(value: &'a Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((path, s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, format!("{path}/{i}"), out);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                strings(item, format!("{path}/{key}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn both_manifests_validate_against_slacks_schema() {
    // A verbatim copy of Slack's schema (MIT, licence beside it).
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/slack-manifest.schema.1.0.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for name in MANIFESTS {
        let errors: Vec<String> = validator
            .iter_errors(&manifest(name))
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{name} does not validate:\n{}",
            errors.join("\n")
        );
    }
}

#[test]
fn both_manifests_declare_the_zoom_command() {
    for name in MANIFESTS {
        let m = manifest(name);
        let command = &m["features"]["slash_commands"][0];
        assert_eq!(command["command"], "/zoom", "{name}");
        assert_eq!(command["should_escape"], true, "{name}");
        assert!(
            command["usage_hint"]
                .as_str()
                .is_some_and(|h| !h.is_empty()),
            "{name}"
        );
        assert!(
            m["features"]["bot_user"]["display_name"].is_string(),
            "{name}"
        );
        assert_eq!(
            m["display_information"]["name"],
            manifest("manifest.yml")["display_information"]["name"],
            "{name}: the same app"
        );
    }
}

#[test]
fn the_http_manifest_points_the_command_at_the_service() {
    let m = manifest("manifest.yml");
    let url = m["features"]["slash_commands"][0]["url"].as_str().unwrap();
    assert!(
        url.contains("REPLACE-WITH-YOUR-HOST") && url.ends_with("/slack/commands"),
        "{url}"
    );
    assert_eq!(m["settings"]["socket_mode_enabled"], false);
    assert_eq!(
        bot_scopes(&m),
        ["commands", "users:read", "users:read.email", "chat:write"]
    );
    let interactivity = &m["settings"]["interactivity"];
    assert_eq!(interactivity["is_enabled"], true);
    let url = interactivity["request_url"].as_str().unwrap();
    assert!(
        url.contains("REPLACE-WITH-YOUR-HOST") && url.ends_with("/slack/interactions"),
        "{url}"
    );
}

#[test]
fn the_socket_manifest_turns_socket_mode_on_and_has_no_urls() {
    let m = manifest("manifest-socket.yml");
    assert_eq!(m["settings"]["socket_mode_enabled"], true);
    assert_eq!(m["settings"]["interactivity"]["is_enabled"], true);
    let mut all = Vec::new();
    strings(&m, String::new(), &mut all);
    let urls: Vec<_> = all
        .iter()
        .filter(|(path, s)| path.ends_with("/url") || path.ends_with("_url") || s.contains("://"))
        .collect();
    assert!(urls.is_empty(), "Socket Mode needs no URLs: {urls:?}");
    assert_eq!(
        bot_scopes(&m),
        ["commands", "users:read", "users:read.email", "chat:write"]
    );
}

#[test]
fn the_socket_manifest_says_where_the_app_level_token_goes() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/manifest-socket.yml"))
        .unwrap();
    let header: String = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    for needed in ["connections:write", "SLACK_APP_TOKEN", "From a manifest"] {
        assert!(header.contains(needed), "header lacks {needed}:\n{header}");
    }
}
