//! What the command line and the server list: documents, issuances,
//! recipients, lists, links, traces, users and the audit log, read through
//! the registry so that neither reaches into the store (the registry is
//! their one boundary, whatever the backend). Rules about who may see what
//! are in the modules of what they guard (`accounts` for tokens).

use telltale_store::{
    ApiToken, AuditEntry, DocumentSummary, Issuance, Link, Recipient, StoreError, TraceRecord, User,
};

use crate::{Registry, RegistryError, Result};

/// Who a distribution goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every registered recipient.
    Everyone,
    /// The members of a named list.
    List(String),
    /// These recipients.
    These(Vec<String>),
}

impl Registry {
    /// Every registered document, with its size and how many copies were
    /// issued.
    pub fn documents(&self) -> Result<Vec<DocumentSummary>> {
        Ok(self.store.documents()?)
    }

    /// The copies issued, of one document or of all.
    pub fn issuances(&self, document_id: Option<&str>) -> Result<Vec<Issuance>> {
        Ok(self.store.issuances(document_id)?)
    }

    pub fn recipients(&self) -> Result<Vec<Recipient>> {
        Ok(self.store.recipients()?)
    }

    /// Who a distribution goes to, as ids; refused when that is nobody.
    pub fn audience(&self, to: &Audience) -> Result<Vec<String>> {
        let who: Vec<String> = match to {
            Audience::Everyone => self.recipients()?.into_iter().map(|r| r.id).collect(),
            Audience::List(name) => self.list_members(name)?,
            Audience::These(ids) => ids.clone(),
        };
        if who.is_empty() {
            return Err(RegistryError::Invalid(
                "there is nobody to send copies to: choose recipients, a list, or everyone (import recipients first)".into(),
            ));
        }
        Ok(who)
    }

    /// Named lists and their sizes.
    pub fn lists(&self) -> Result<Vec<(String, usize)>> {
        Ok(self.store.lists()?)
    }

    /// Reading-room links, of one document or of all.
    pub fn links(&self, document_id: Option<&str>) -> Result<Vec<Link>> {
        Ok(self.store.links(document_id)?)
    }

    /// One link; `NotFound` if there is none.
    pub fn link(&self, id: &str) -> Result<Link> {
        Ok(self
            .store
            .link(id)?
            .ok_or_else(|| StoreError::NotFound(format!("link {id}")))?)
    }

    /// Every trace, oldest first.
    pub fn traces(&self) -> Result<Vec<TraceRecord>> {
        Ok(self.store.traces()?)
    }

    /// Every API token (never their secrets): the command line's view,
    /// whose user holds the key file. The server shows each user
    /// [`Registry::api_tokens_for`] them.
    pub fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        Ok(self.store.api_tokens()?)
    }

    pub fn users(&self) -> Result<Vec<User>> {
        Ok(self.store.users()?)
    }

    /// The whole audit log, first entry first.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        Ok(self.store.audit_log()?)
    }
}
