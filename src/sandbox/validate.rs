//! What the simulated API checks in `POST /linode/instances`, field by
//! field, with reasons worded like Linode's. These rules are written apart
//! from the app's own, so that the sandbox catches the app's mistakes.

use serde_json::{Map, Value};

use super::data;
use super::state::SimUser;

/// Every fault in a create body, as `(field, reason)`.
pub fn create(body: &Map<String, Value>, stackscript: Option<&Value>) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let mut fault = |field: &str, reason: &str| errors.push((field.to_owned(), reason.to_owned()));
    let text = |key: &str| body.get(key).and_then(Value::as_str);

    match text("type") {
        None => fault("type", "type is required"),
        Some(t) if !data::types().iter().any(|v| v["id"] == t) => {
            fault("type", "A valid plan type by that ID was not found")
        }
        _ => {}
    }
    match text("region") {
        None => fault("region", "region is required"),
        Some(r) if !data::regions().iter().any(|v| v["id"] == r) => fault("region", "region is not valid"),
        _ => {}
    }
    let image = text("image");
    match (image, stackscript) {
        (None, Some(_)) => fault("image", "image is required when deploying from a StackScript"),
        (Some(i), _) if !data::IMAGES.contains(&i) => fault("image", "image is not valid"),
        (Some(i), Some(script)) if !script["images"].as_array().is_some_and(|a| a.iter().any(|v| v == i)) => {
            fault("image", "image is not valid for this StackScript")
        }
        _ => {}
    }
    if image.is_some() {
        match text("root_pass") {
            None => fault("root_pass", "root_pass is required"),
            Some(p) if !(7..=128).contains(&p.chars().count()) => {
                fault("root_pass", "Length must be 7-128 characters")
            }
            Some(p) if !strong(p) => fault("root_pass", "Password does not meet strength requirement"),
            _ => {}
        }
    }
    if let Some(label) = body.get("label") {
        match label.as_str() {
            Some(l) if label_ok(l) => {}
            _ => fault(
                "label",
                "Label must be 3-64 characters, start with a letter, end with a letter or digit, \
                 use only letters, digits, '.', '-' and '_', and have no '--', '__' or '..'",
            ),
        }
    }
    if let Some(group) = body.get("group")
        && group.as_str().is_none_or(|g| g.chars().count() > 50)
    {
        fault("group", "group must be a string of at most 50 characters");
    }
    if let Some(keys) = body.get("authorized_keys") {
        let ok = keys.as_array().is_some_and(|keys| keys.iter().all(|k| k.as_str().is_some_and(ssh_key_ok)));
        if !ok {
            fault("authorized_keys", "Invalid SSH key");
        }
    }
    if body.get("backups_enabled").is_some_and(|b| !b.is_boolean()) {
        fault("backups_enabled", "backups_enabled must be a boolean");
    }
    if let Some(users) = body.get("authorized_users") {
        let known = |u: &Value| SimUser::ALL.iter().any(|k| u.as_str() == Some(k.username()));
        if !users.as_array().is_some_and(|users| users.iter().all(known)) {
            fault("authorized_users", "Username not found");
        }
    }
    if let Some(script) = stackscript {
        udfs(body.get("stackscript_data"), script, &mut fault);
    } else if body.contains_key("stackscript_data") {
        fault("stackscript_data", "stackscript_data needs a stackscript_id");
    }
    errors
}

fn udfs(data: Option<&Value>, script: &Value, fault: &mut impl FnMut(&str, &str)) {
    let empty = Map::new();
    let data = match data {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(_) => return fault("stackscript_data", "stackscript_data must be an object"),
    };
    if serde_json::to_string(data).map_or(0, |s| s.len()) > 65_535 {
        return fault("stackscript_data", "stackscript_data must be at most 65,535 characters");
    }
    let fields = script["user_defined_fields"].as_array().cloned().unwrap_or_default();
    for field in &fields {
        let name = field["name"].as_str().unwrap_or_default();
        let list = |key: &str, camel: &str| {
            field
                .get(key)
                .or(field.get(camel))
                .and_then(Value::as_str)
                .map(|s| s.split(',').map(str::to_owned).collect::<Vec<_>>())
        };
        let value = match data.get(name) {
            None => {
                if field.get("default").is_none() {
                    fault(name, &format!("{name} is required"));
                }
                continue;
            }
            Some(Value::String(v)) => v.as_str(),
            Some(_) => {
                fault(name, &format!("{name} must be a string"));
                continue;
            }
        };
        if let Some(options) = list("oneof", "oneOf")
            && !options.iter().any(|o| o == value)
        {
            fault(name, &format!("{name} must be one of {}", options.join(", ")));
        }
        if let Some(options) = list("manyof", "manyOf")
            && !value.split(',').filter(|v| !v.is_empty()).all(|v| options.iter().any(|o| o == v))
        {
            fault(name, &format!("{name} must be some of {}", options.join(", ")));
        }
        if field.get("default").is_none() && value.is_empty() {
            fault(name, &format!("{name} is required"));
        }
    }
    for key in data.keys() {
        if !fields.iter().any(|f| f["name"] == key.as_str()) {
            fault(key, &format!("{key} is not a field of this StackScript"));
        }
    }
}

/// A rough strength estimate: at least three kinds of character, or a long
/// passphrase of two, and not one of the passwords everyone tries.
fn strong(password: &str) -> bool {
    const COMMON: [&str; 6] = ["password", "12345678", "qwerty", "letmein", "linode", "iloveyou"];
    let lower = password.to_lowercase();
    if COMMON.iter().any(|c| lower.contains(c)) {
        return false;
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    let distinct = {
        let mut chars: Vec<char> = password.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        chars.len()
    };
    distinct >= 5 && (kinds >= 3 || (kinds >= 2 && password.chars().count() >= 16))
}

fn label_ok(label: &str) -> bool {
    let bytes = label.as_bytes();
    (3..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(b))
        && !["--", "__", ".."].iter().any(|d| label.contains(d))
}

fn ssh_key_ok(key: &str) -> bool {
    let mut parts = key.split_whitespace();
    let (Some(kind), Some(blob)) = (parts.next(), parts.next()) else {
        return false;
    };
    const KINDS: [&str; 6] = [
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
    ];
    KINDS.contains(&kind)
        && blob.len() >= 60
        && blob.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn fields(errors: &[(String, String)]) -> Vec<&str> {
        errors.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn weak_short_and_missing_passwords_are_refused() {
        for (pass, expect) in [
            (json!("abc"), 1),
            (json!("password123!A"), 1),
            (json!("aaaaaaaaaaaaaaaaaaaa"), 1),
            (json!(null), 1),
        ] {
            let mut b = body(json!({"type":"g6-nanode-1","region":"us-east","image":"linode/debian12"}));
            if !pass.is_null() {
                b.insert("root_pass".into(), pass.clone());
            }
            let errors = create(&b, None);
            assert_eq!(fields(&errors), vec!["root_pass"; expect], "{pass}");
        }
        let b = body(
            json!({"type":"g6-nanode-1","region":"us-east","image":"linode/debian12","root_pass":"c0rrect-Horse-battery"}),
        );
        assert!(create(&b, None).is_empty());
    }

    #[test]
    fn images_outside_the_stackscript_and_missing_required_fields_are_refused() {
        let script = data::demo_stackscript(1);
        let b = body(
            json!({"type":"g6-nanode-1","region":"us-east","image":"linode/rocky9","root_pass":"c0rrect-Horse-battery",
            "stackscript_id":1,"stackscript_data":{"web_server":"iis","extras":"git,vim"}}),
        );
        let errors = create(&b, Some(&script));
        assert_eq!(
            fields(&errors),
            ["image", "user_name", "web_server", "extras", "soa_email_address", "db_password"]
        );
    }

    #[test]
    fn labels_follow_linodes_rules() {
        for good in ["web-1", "app.example_2", "abc"] {
            assert!(label_ok(good), "{good}");
        }
        for bad in ["ab", "1abc", "abc-", "a--b", "a__b", "a..b", "a b c", &"a".repeat(65)] {
            assert!(!label_ok(bad), "{bad}");
        }
    }
}
