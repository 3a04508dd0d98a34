//! The people and links that reach the registry through the server: users
//! with roles and Argon2id-hashed passwords, browser sessions, API tokens
//! for scripts, and recipients' reading-room links.
//!
//! Every secret handed out (session cookie, API token, link) is 32 random
//! bytes shown once; the registry keeps only a BLAKE3 hash of it, so a copy
//! of the database opens nothing. Whatever changes state or reveals a copy
//! is written to the audit log under the acting user's name.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use telltale_store::{ApiToken, Link, Reservation, Role, Session, StoreError, User};

use crate::{hex, now, Registry, RegistryError, Result};

/// How long a browser session lasts.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

fn random_token() -> Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b)
        .map_err(|e| RegistryError::Key(format!("the operating system gave no randomness: {e}")))?;
    Ok(hex(&b))
}

/// The stored form of a handed-out secret.
pub fn token_hash(token: &str) -> String {
    let mut h = blake3::Hasher::new_derive_key("telltale 2026 token hash v1");
    h.update(token.as_bytes());
    hex(h.finalize().as_bytes())
}

/// The CSRF token that goes with a session: derived from the session's
/// secret, so it needs no storage and cannot be guessed without it.
pub fn csrf_token(session_token: &str) -> String {
    let mut h = blake3::Hasher::new_derive_key("telltale 2026 csrf v1");
    h.update(session_token.as_bytes());
    hex(&h.finalize().as_bytes()[..16])
}

fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| RegistryError::Key(format!("the operating system gave no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| RegistryError::Key(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| RegistryError::Key(format!("cannot hash the password: {e}")))?
        .to_string())
}

fn valid_user_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
    {
        return Err(RegistryError::Invalid(format!(
            "user name {name:?} must be 1 to 64 letters, digits, '-', '_', '.' or '@'"
        )));
    }
    Ok(())
}

fn valid_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(RegistryError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// How many sign-in attempts a user name, and a client address, may make
/// within a window of time.
#[derive(Debug, Clone, Copy)]
pub struct SignInLimit {
    pub max: u32,
    pub window_seconds: i64,
}

/// How a sign-in went.
pub enum SignIn {
    /// Signed in: the new session's secret (shown once) and the user.
    Accepted { session: String, user: User },
    /// Wrong name or password, or a disabled user.
    Rejected,
    /// Too many recent attempts for the name or the address.
    Limited { retry_after: i64 },
}

// The session's secret stays out of logs.
impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignIn::Accepted { user, .. } => f
                .debug_struct("Accepted")
                .field("user", user)
                .finish_non_exhaustive(),
            SignIn::Rejected => f.write_str("Rejected"),
            SignIn::Limited { retry_after } => f
                .debug_struct("Limited")
                .field("retry_after", retry_after)
                .finish(),
        }
    }
}

/// Why a reading-room link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    Unknown,
    Revoked,
    Expired,
}

/// What a recipient sees behind their link.
#[derive(Debug, Clone)]
pub struct ReadingCopy {
    pub link_id: String,
    pub document_id: String,
    pub title: String,
    pub recipient_name: String,
    pub text: String,
    pub expires_at: Option<i64>,
}

impl Registry {
    /// Name the person or program on whose behalf later calls act, as the
    /// audit log will record it (for example `web:alice`).
    pub fn set_actor(&mut self, actor: &str) {
        self.actor = actor.to_string();
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    pub fn add_user(&mut self, name: &str, role: Role, password: &str) -> Result<User> {
        valid_user_name(name)?;
        valid_password(password)?;
        let user = User {
            name: name.into(),
            role,
            password_hash: hash_password(password)?,
            created_at: now(),
            disabled: false,
        };
        self.store.put_user(&user)?;
        self.audit("user.add", &format!("{name} as {}", role.name()))?;
        Ok(user)
    }

    /// Change a user's role, password or whether they may sign in.
    /// A new password or disabling the user ends every session of theirs
    /// and revokes every API token of theirs: whoever held the old password
    /// (or a session or token made with it) is out, and re-enabling a user
    /// brings none of them back.
    pub fn update_user(
        &mut self,
        name: &str,
        role: Option<Role>,
        password: Option<&str>,
        disabled: Option<bool>,
    ) -> Result<User> {
        let mut user = self
            .store
            .user(name)?
            .ok_or_else(|| StoreError::NotFound(format!("user {name}")))?;
        let mut what = Vec::new();
        if let Some(r) = role {
            user.role = r;
            what.push(format!("role {}", r.name()));
        }
        if let Some(p) = password {
            valid_password(p)?;
            user.password_hash = hash_password(p)?;
            what.push("password".to_string());
        }
        if let Some(d) = disabled {
            user.disabled = d;
            what.push(if d { "disabled" } else { "enabled" }.to_string());
        }
        if password.is_some() || disabled == Some(true) {
            // Before the change itself: should the change then fail, the
            // user signs in again, which is the safe way round.
            let (sessions, tokens) = self.store.revoke_credentials(name)?;
            what.push(format!(
                "{sessions} session(s) ended, {tokens} API token(s) revoked"
            ));
        }
        self.store.update_user(&user)?;
        self.audit("user.update", &format!("{name}: {}", what.join(", ")))?;
        Ok(user)
    }

    /// The user, if the name and password match and the user may sign in.
    /// An unknown name costs the same hashing as a wrong password.
    pub fn check_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        let user = self.store.user(name)?;
        let stored = match &user {
            Some(u) => u.password_hash.clone(),
            // A hash of nothing anyone can type, so timing does not tell
            // which names exist.
            None => DUMMY_HASH.to_string(),
        };
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| StoreError::Corrupt(format!("password hash of {name}: {e}")))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(user.filter(|u| ok && !u.disabled))
    }

    /// Sign in by name and password from `client` (an address), within
    /// `limit`: the attempt is reserved in the database before the password
    /// is hashed, so concurrent attempts cannot all get past the limit, and
    /// the count outlives a restart. A successful sign-in forgets the name's
    /// failures.
    pub fn sign_in(
        &mut self,
        name: &str,
        password: &str,
        client: &str,
        limit: SignInLimit,
    ) -> Result<SignIn> {
        // Longer names are never valid; cut, they still count against
        // whoever tries them.
        let user_key = format!("user:{}", name.chars().take(64).collect::<String>());
        let keys = [user_key.clone(), format!("ip:{client}")];
        let at = now();
        let window = limit.window_seconds.max(1);
        match self
            .store
            .reserve_sign_in(&keys, at, at - window, limit.max)?
        {
            Reservation::Refused { oldest } => Ok(SignIn::Limited {
                retry_after: (oldest + window - at).max(1),
            }),
            Reservation::Reserved(attempt) => match self.check_password(name, password)? {
                Some(user) => {
                    self.store.clear_sign_in(attempt, &user_key)?;
                    let session = self.start_session(&user)?;
                    Ok(SignIn::Accepted { session, user })
                }
                None => Ok(SignIn::Rejected),
            },
        }
    }

    /// Start a session for a signed-in user: the cookie's secret, shown once.
    pub fn start_session(&mut self, user: &User) -> Result<String> {
        let token = random_token()?;
        let at = now();
        self.store.put_session(&Session {
            token_hash: token_hash(&token),
            user: user.name.clone(),
            created_at: at,
            expires_at: at + SESSION_SECONDS,
        })?;
        self.audit("session.start", &user.name)?;
        Ok(token)
    }

    /// The user behind a session cookie, if it is live and the user may
    /// still sign in.
    pub fn session_user(&self, token: &str) -> Result<Option<User>> {
        let Some(s) = self.store.session(&token_hash(token))? else {
            return Ok(None);
        };
        if s.expires_at <= now() {
            return Ok(None);
        }
        Ok(self.store.user(&s.user)?.filter(|u| !u.disabled))
    }

    pub fn end_session(&mut self, token: &str) -> Result<()> {
        if let Some(s) = self.store.session(&token_hash(token))? {
            self.store.delete_session(&s.token_hash)?;
            self.audit("session.end", &s.user)?;
        }
        Ok(())
    }

    /// Make an API token for `user`: the secret, shown once, and its record.
    pub fn create_api_token(&mut self, user: &str, label: &str) -> Result<(String, ApiToken)> {
        if self.store.user(user)?.is_none() {
            return Err(StoreError::NotFound(format!("user {user}")).into());
        }
        let label = label.trim();
        if label.is_empty() || label.len() > 100 || label.contains(char::is_control) {
            return Err(RegistryError::Invalid(
                "an API token needs a label of 1 to 100 printable characters".into(),
            ));
        }
        let secret = random_token()?;
        let hash = token_hash(&secret);
        let record = ApiToken {
            id: format!("t-{}", &hash[..10]),
            token_hash: hash,
            user: user.into(),
            label: label.into(),
            created_at: now(),
            revoked: false,
        };
        self.store.put_api_token(&record)?;
        self.audit(
            "token.create",
            &format!("{} for {user} ({label})", record.id),
        )?;
        Ok((format!("tt_{secret}"), record))
    }

    /// The user behind an API token, if it is live.
    pub fn token_user(&self, token: &str) -> Result<Option<User>> {
        let Some(secret) = token.strip_prefix("tt_") else {
            return Ok(None);
        };
        let Some(t) = self.store.api_token(&token_hash(secret))? else {
            return Ok(None);
        };
        if t.revoked {
            return Ok(None);
        }
        Ok(self.store.user(&t.user)?.filter(|u| !u.disabled))
    }

    pub fn revoke_api_token(&mut self, id: &str) -> Result<()> {
        self.store.revoke_api_token(id)?;
        self.audit("token.revoke", id)
    }

    /// The API tokens `who` may see: their own, or everyone's for an
    /// admin.
    pub fn api_tokens_for(&self, who: &User) -> Result<Vec<ApiToken>> {
        Ok(self
            .store
            .api_tokens()?
            .into_iter()
            .filter(|t| who.role == Role::Admin || t.user == who.name)
            .collect())
    }

    /// Revoke a token `who` may see (see [`Registry::api_tokens_for`]);
    /// any other is `NotFound`, so that nobody learns another's token ids.
    pub fn revoke_api_token_for(&mut self, who: &User, id: &str) -> Result<()> {
        if !self.api_tokens_for(who)?.iter().any(|t| t.id == id) {
            return Err(StoreError::NotFound(format!("API token {id}")).into());
        }
        self.revoke_api_token(id)
    }

    /// [`Registry::update_user`] asked by `who`, an admin: nobody removes
    /// their own admin role or disables themself, so that an admin always
    /// remains.
    pub fn update_user_for(
        &mut self,
        who: &User,
        name: &str,
        role: Option<Role>,
        password: Option<&str>,
        disabled: Option<bool>,
    ) -> Result<User> {
        if name == who.name && (role.is_some_and(|r| r != Role::Admin) || disabled == Some(true)) {
            return Err(RegistryError::Invalid(
                "you cannot remove your own admin role or disable yourself".into(),
            ));
        }
        self.update_user(name, role, password, disabled)
    }

    /// Give each recipient, who must already hold a copy, a new personal
    /// link to it. Returns each link with its secret, shown once.
    pub fn create_links(
        &mut self,
        doc_id: &str,
        recipients: &[String],
        expires_at: Option<i64>,
    ) -> Result<Vec<(Link, String)>> {
        let doc = self.document(doc_id)?;
        let holders: std::collections::HashSet<String> = self
            .store
            .issuances(Some(doc_id))?
            .into_iter()
            .map(|i| i.recipient_id)
            .collect();
        if let Some(r) = recipients.iter().find(|r| !holders.contains(*r)) {
            return Err(RegistryError::Invalid(format!(
                "{r} has not been issued {}; distribute it first",
                doc.id
            )));
        }
        let mut out = Vec::new();
        for r in recipients {
            self.budget.check()?;
            let secret = random_token()?;
            let hash = token_hash(&secret);
            let link = Link {
                id: format!("l-{}", &hash[..12]),
                token_hash: hash,
                document_id: doc.id.clone(),
                recipient_id: r.clone(),
                created_at: now(),
                expires_at,
                revoked: false,
                views: 0,
            };
            self.store.put_link(&link)?;
            self.audit("link.create", &format!("{} for {r} to {}", link.id, doc.id))?;
            out.push((link, secret));
        }
        Ok(out)
    }

    /// Withdraw a reading-room link, and with it every other link of the
    /// same recipient to the same document: they all open the same copy,
    /// so a link that was forwarded or leaked is withdrawn only if its
    /// siblings are too. Give the recipient a new link if they should keep
    /// reading. How many links were live.
    pub fn revoke_link(&mut self, id: &str) -> Result<usize> {
        let link = self
            .store
            .link(id)?
            .ok_or_else(|| StoreError::NotFound(format!("link {id}")))?;
        let live = self
            .store
            .revoke_recipient_links(&link.document_id, &link.recipient_id)?;
        self.audit(
            "link.revoke",
            &format!(
                "{id}: every link of {} to {} ({live} live)",
                link.recipient_id, link.document_id
            ),
        )?;
        Ok(live)
    }

    /// Open a reading-room link: the recipient's own copy, counted and
    /// logged, or why not.
    pub fn open_link(
        &mut self,
        secret: &str,
    ) -> Result<std::result::Result<ReadingCopy, LinkRefusal>> {
        let Some(link) = self.store.link_by_token(&token_hash(secret))? else {
            return Ok(Err(LinkRefusal::Unknown));
        };
        if link.revoked {
            self.audit("link.refused", &format!("{} (revoked)", link.id))?;
            return Ok(Err(LinkRefusal::Revoked));
        }
        if link.expires_at.is_some_and(|e| e <= now()) {
            self.audit("link.refused", &format!("{} (expired)", link.id))?;
            return Ok(Err(LinkRefusal::Expired));
        }
        let doc = self.document(&link.document_id)?;
        let text = self.render_copy(&link.document_id, &link.recipient_id)?;
        let recipient_name = self
            .store
            .recipient(&link.recipient_id)?
            .map(|r| r.name)
            .unwrap_or_default();
        self.store.count_link_view(&link.id)?;
        self.audit(
            "link.view",
            &format!(
                "{} by {} of {}",
                link.id, link.recipient_id, link.document_id
            ),
        )?;
        Ok(Ok(ReadingCopy {
            link_id: link.id,
            document_id: doc.id,
            title: doc.title,
            recipient_name,
            text,
            expires_at: link.expires_at,
        }))
    }
}

/// Argon2id of a random password nobody knows, checked against when a user
/// name is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Yv0mKqk3Fr2pbqAOVmsP3b6h6HzH3z3aF8Zk0XhbkY";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn users_sessions_tokens_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Registry::init(dir.path(), None).unwrap();
        assert!(r.add_user("ann", Role::Author, "short").is_err());
        assert!(r.add_user("a b", Role::Author, "long enough pw").is_err());
        let ann = r
            .add_user("ann", Role::Author, "correct horse battery")
            .unwrap();
        assert!(!format!("{ann:?}").contains("argon2"), "no hash in Debug");
        assert!(r
            .check_password("ann", "wrong password!")
            .unwrap()
            .is_none());
        assert!(r
            .check_password("nobody", "correct horse battery")
            .unwrap()
            .is_none());
        assert_eq!(
            r.check_password("ann", "correct horse battery").unwrap(),
            Some(ann.clone())
        );

        let s = r.start_session(&ann).unwrap();
        assert_eq!(r.session_user(&s).unwrap().unwrap().name, "ann");
        assert!(r.session_user("nope").unwrap().is_none());
        assert_ne!(csrf_token(&s), csrf_token("other"));

        let (tok, rec) = r.create_api_token("ann", "nightly").unwrap();
        assert_eq!(r.token_user(&tok).unwrap().unwrap().name, "ann");
        assert!(
            r.token_user(&tok[3..]).unwrap().is_none(),
            "the prefix is part of it"
        );
        r.update_user("ann", None, None, Some(true)).unwrap();
        assert!(
            r.session_user(&s).unwrap().is_none(),
            "disabled users are out"
        );
        assert!(r.token_user(&tok).unwrap().is_none());
        assert!(r
            .check_password("ann", "correct horse battery")
            .unwrap()
            .is_none());
        r.update_user("ann", None, None, Some(false)).unwrap();
        assert!(
            r.session_user(&s).unwrap().is_none(),
            "re-enabling brings no old session back"
        );
        assert!(r.token_user(&tok).unwrap().is_none(), "nor an old token");
        r.revoke_api_token(&rec.id).unwrap();
        assert!(r.token_user(&tok).unwrap().is_none());
        r.end_session(&s).unwrap();
        assert!(r.session_user(&s).unwrap().is_none());
        // A new password ends the sessions and tokens made before it.
        let s = r.start_session(&ann).unwrap();
        let (tok, _) = r.create_api_token("ann", "nightly").unwrap();
        r.update_user("ann", None, Some("another long password"), None)
            .unwrap();
        assert!(r.session_user(&s).unwrap().is_none());
        assert!(r.token_user(&tok).unwrap().is_none());
        assert!(r
            .check_password("ann", "another long password")
            .unwrap()
            .is_some());
        let limit = SignInLimit {
            max: 2,
            window_seconds: 900,
        };
        for _ in 0..2 {
            assert!(matches!(
                r.sign_in("ann", "wrong password", "10.0.0.9", limit)
                    .unwrap(),
                SignIn::Rejected
            ));
        }
        assert!(matches!(
            r.sign_in("ann", "another long password", "10.0.0.8", limit)
                .unwrap(),
            SignIn::Limited { .. }
        ));
        assert!(matches!(
            r.sign_in("bob", "another long password", "10.0.0.9", limit)
                .unwrap(),
            SignIn::Limited { .. }
        ));

        let d = r
            .add_document(
                "The minister said that the talks had stalled. In March, the deal was signed, and the port will open.",
                None,
                telltale_core::rules::Format::Plain,
            )
            .unwrap();
        r.add_recipient(&telltale_store::Recipient {
            id: "r-1".into(),
            name: "Ann Holm".into(),
            email: None,
        })
        .unwrap();
        assert!(
            r.create_links(&d.id, &["r-1".into()], None).is_err(),
            "issue first"
        );
        let rep = r.issue(&d.id, &["r-1".into()], &mut |_, _| {}).unwrap();
        assert_eq!(rep.written, 1);
        assert_eq!(
            r.issue(&d.id, &["r-1".into()], &mut |_, _| {})
                .unwrap()
                .already,
            1
        );
        let links = r.create_links(&d.id, &["r-1".into()], None).unwrap();
        let (link, secret) = &links[0];
        let copy = r.open_link(secret).unwrap().unwrap();
        assert_eq!(copy.text, r.render_copy(&d.id, "r-1").unwrap());
        assert_eq!(
            r.open_link("0000").unwrap().unwrap_err(),
            LinkRefusal::Unknown
        );
        let sibling = r.create_links(&d.id, &["r-1".into()], None).unwrap();
        assert_eq!(r.revoke_link(&link.id).unwrap(), 2);
        assert_eq!(
            r.open_link(secret).unwrap().unwrap_err(),
            LinkRefusal::Revoked
        );
        assert_eq!(
            r.open_link(&sibling[0].1).unwrap().unwrap_err(),
            LinkRefusal::Revoked,
            "revoking one link withdraws the recipient's others to the document"
        );
        let expired = r
            .create_links(&d.id, &["r-1".into()], Some(now() - 1))
            .unwrap();
        assert_eq!(
            r.open_link(&expired[0].1).unwrap().unwrap_err(),
            LinkRefusal::Expired
        );
        let log = r.store().audit_log().unwrap();
        assert!(log.iter().any(|e| e.action == "link.view"));
        assert_eq!(r.verify_audit().unwrap(), Ok(log.len()));
    }
}
