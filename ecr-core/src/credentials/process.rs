//! `credential_process`: credentials from an external command
//! (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html>).

use std::fmt;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::{Credentials, CredentialsError, CredentialsFuture, ProvideCredentials};

/// Runs a command (through `sh -c`, or `cmd /C` on Windows) and reads the
/// credentials it prints, the JSON of the spec:
///
/// ```json
/// {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
///  "SessionToken": "...", "Expiration": "2026-11-27T10:00:00Z"}
/// ```
///
/// `SessionToken`, `Expiration` (RFC 3339) and `AccountId` are optional.
/// The command runs each time the provider is asked: wrap it in a
/// [`super::CachingProvider`], which runs it again five minutes before
/// `Expiration`.
///
/// The command's standard error is this process's (helpers print prompts
/// and diagnostics there), its standard input is closed. The command line is
/// never printed (it may carry a token), and errors describe the output
/// without quoting its secrets (key id, secret key, session token, account):
/// only `Version` and `Expiration`, which are not secret, are quoted when
/// they are wrong.
#[derive(Clone)]
pub struct ProcessProvider {
    command: String,
    profile: Option<String>,
}

impl fmt::Debug for ProcessProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessProvider")
            .field("command", &"** redacted **")
            .field("profile", &self.profile)
            .finish()
    }
}

impl ProcessProvider {
    /// Runs `command`.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            profile: None,
        }
    }

    /// Names the profile the command comes from, in error messages.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    fn what(&self) -> String {
        match &self.profile {
            Some(p) => format!("credential_process of profile `{p}`"),
            None => "credential_process".to_owned(),
        }
    }

    /// Runs the command and parses its output.
    pub async fn load(&self) -> Result<Credentials, CredentialsError> {
        let what = self.what();
        let fail = |message: String| CredentialsError::Provider(format!("{what}: {message}"));
        let output = run(&self.command)
            .await
            .map_err(|e| fail(format!("could not run the command: {e}")))?;
        if !output.status.success() {
            return Err(fail(format!(
                "the command failed ({}); its messages, if any, are on standard error",
                output.status
            )));
        }
        let parsed = serde_json::from_slice::<Value>(&output.stdout);
        // Only the category and place: the output holds secrets.
        let json = parsed.map_err(|e| {
            fail(format!(
                "the command's output is not JSON ({} at line {} column {})",
                if e.is_eof() {
                    "it ends early"
                } else {
                    "syntax error"
                },
                e.line(),
                e.column()
            ))
        })?;
        parse_output(&json, SystemTime::now()).map_err(fail)
    }
}

impl ProvideCredentials for ProcessProvider {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(self.load())
    }
}

/// Runs the command on its own thread, so that neither the executor nor the
/// tokio `process` feature is needed.
async fn run(command: &str) -> std::io::Result<std::process::Output> {
    let mut cmd = if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.arg("/C").arg(command);
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c").arg(command);
        c
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("credential_process".into())
        .spawn(move || {
            let _ = tx.send(cmd.output());
        })?;
    rx.await
        .unwrap_or_else(|_| Err(std::io::Error::other("the command's thread panicked")))
}

/// Reads the spec's JSON (Version 1). Messages name fields, and quote no
/// value but a wrong `Version` or `Expiration`.
fn parse_output(json: &Value, now: SystemTime) -> Result<Credentials, String> {
    let Value::Object(_) = json else {
        return Err("the command's output is not a JSON object".to_owned());
    };
    let get = |key: &str| json.get(key);
    match get("Version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        Some(Value::Number(n)) => return Err(format!("Version {n} is not supported (expected 1)")),
        Some(_) => return Err("Version is not a number (expected 1)".to_owned()),
        None => return Err("the output has no Version (expected 1)".to_owned()),
    }
    let string = |key: &str, required: bool| -> Result<Option<String>, String> {
        match get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(Value::String(_)) | None | Some(Value::Null) if !required => Ok(None),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                Err(format!("the output has no {key}"))
            }
            Some(_) => Err(format!("{key} is not a string")),
        }
    };
    let id = string("AccessKeyId", true)?.unwrap_or_default();
    let secret = string("SecretAccessKey", true)?.unwrap_or_default();
    let token = string("SessionToken", false)?;
    let account = string("AccountId", false)?;
    let expiry = match string("Expiration", false)? {
        None => None,
        Some(text) => {
            let at = parse_rfc3339(&text)
                .ok_or_else(|| format!("Expiration {text:?} is not an RFC 3339 timestamp"))?;
            if at <= now {
                return Err(format!("the credentials expired at {text}"));
            }
            Some(at)
        }
    };
    let mut builder = Credentials::builder()
        .access_key_id(id)
        .secret_access_key(secret)
        .provider_name("credential_process");
    builder.set_session_token(token);
    builder.set_expiry(expiry);
    if let Some(account) = account {
        builder = builder.account_id(account);
    }
    Ok(builder.build())
}

/// Parses `2026-11-27T10:00:00Z`, with optional fractional seconds and a
/// `+hh:mm` / `-hh:mm` offset instead of `Z` (RFC 3339, section 5.6).
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let mut scaled = frac[..digits.min(9)].to_owned();
        while scaled.len() < 9 {
            scaled.push('0');
        }
        nanos = scaled.parse().ok()?;
        rest = &frac[digits..];
    }
    let offset_secs = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = rest.as_bytes();
            if r.len() != 6 || r[3] != b':' {
                return None;
            }
            let h: i64 = rest[1..3].parse().ok()?;
            let m: i64 = rest[4..6].parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    let secs = u64::try_from(secs).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(text: &str) -> Option<u64> {
        parse_rfc3339(text).map(|t| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs())
    }

    #[test]
    fn rfc3339() {
        assert_eq!(epoch("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch("2026-11-27T10:00:00Z"), Some(1_795_773_600));
        assert_eq!(epoch("2026-11-27T10:00:00.123456789Z"), Some(1_795_773_600));
        assert_eq!(epoch("2026-11-27T12:00:00+02:00"), Some(1_795_773_600));
        assert_eq!(epoch("2026-11-27t09:30:00-00:30"), Some(1_795_773_600));
        for bad in [
            "2026-11-27",
            "2026-11-27T10:00:00",
            "2026-13-01T00:00:00Z",
            "x026-11-27T10:00:00Z",
            "2026-11-27T10:00:00.Z",
        ] {
            assert_eq!(epoch(bad), None, "{bad}");
        }
    }

    #[test]
    fn output_errors_name_fields_not_values() {
        let now = SystemTime::UNIX_EPOCH;
        let cases = [
            (
                r#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S3CR3T"}"#,
                "Version 2 is not supported (expected 1)",
            ),
            (
                r#"{"AccessKeyId": "A", "SecretAccessKey": "S3CR3T"}"#,
                "the output has no Version (expected 1)",
            ),
            (
                r#"{"Version": 1, "SecretAccessKey": "S3CR3T"}"#,
                "the output has no AccessKeyId",
            ),
            (
                r#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": 5}"#,
                "SecretAccessKey is not a string",
            ),
            (
                r#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S3CR3T", "Expiration": "soon"}"#,
                "Expiration \"soon\" is not an RFC 3339 timestamp",
            ),
            (r#"["S3CR3T"]"#, "the command's output is not a JSON object"),
        ];
        for (json, want) in cases {
            let value: Value = serde_json::from_str(json).unwrap();
            assert_eq!(parse_output(&value, now).unwrap_err(), want);
        }
    }
}
