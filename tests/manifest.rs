//! `manifest.yml` installs the app in one paste: it must validate against Slack's official schema.

use serde_json::Value;

fn manifest() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/manifest.yml")).unwrap();
    serde_yaml_ng::from_str(&text).expect("manifest.yml is YAML")
}

#[test]
fn the_manifest_validates_against_slacks_schema() {
    // A verbatim copy of Slack's schema (MIT, licence beside it).
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/slack-manifest.schema.1.0.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let manifest = manifest();
    let errors: Vec<String> = validator
        .iter_errors(&manifest)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "manifest.yml does not validate:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_manifest_declares_the_zoom_command_and_the_scopes_it_needs() {
    let m = manifest();
    let command = &m["features"]["slash_commands"][0];
    assert_eq!(command["command"], "/zoom");
    assert_eq!(command["should_escape"], true);
    assert!(
        command["usage_hint"]
            .as_str()
            .is_some_and(|h| !h.is_empty())
    );
    let url = command["url"].as_str().unwrap();
    assert!(
        url.contains("REPLACE-WITH-YOUR-HOST") && url.ends_with("/slack/commands"),
        "{url}"
    );
    assert!(m["features"]["bot_user"]["display_name"].is_string());
    let scopes: Vec<&str> = m["oauth_config"]["scopes"]["bot"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["commands", "users:read", "users:read.email"]);
}
