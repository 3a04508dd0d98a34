//! Background jobs kept in the database, so that every server process on
//! it can report on them and one can finish what another started: the
//! process running a job says it is alive after each step, and a job whose
//! process has gone quiet is taken over (see [`JobStore::claim_stale_job`])
//! and carried on from its last step. A distribution resumes with the
//! recipients not yet done; a registration, whose upload only its own
//! process held, is marked failed so that its author registers again.
//!
//! The reading-room links a distribution makes are shown once to the
//! author who started it. Their secrets are kept in the job sealed with
//! ChaCha20-Poly1305 under a key derived from the registry's secret, which
//! every process holds and the database never does, and the job is
//! forgotten an hour after it finishes.
//!
//! [`JobStore::claim_stale_job`]: telltale_store::JobStore::claim_stale_job

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};
use telltale_store::JobRecord;

use crate::{hex, now, Registry, RegistryError, Result};

pub const DISTRIBUTION: &str = "distribution";
pub const REGISTRATION: &str = "registration";
/// How long a finished job is kept for its author to read.
pub const KEEP_FINISHED_SECS: i64 = 3600;

/// What a distribution job does, kept with it so that any process can
/// carry it on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistributionRequest {
    /// Recipients, in the order they are done.
    pub to: Vec<String>,
    /// Make a reading-room link for each.
    pub links: bool,
    /// When the links stop opening.
    pub expires_at: Option<i64>,
    /// Who started it, for the audit log.
    pub actor: String,
}

/// A reading-room link a job made, with its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeLink {
    pub recipient: String,
    pub name: String,
    pub link: String,
    pub secret: String,
}

/// A made link as kept in the job: its secret sealed.
#[derive(Serialize, Deserialize)]
struct SealedLink {
    recipient: String,
    name: String,
    link: String,
    /// Hex of the nonce and the ciphertext.
    sealed: String,
}

impl Registry {
    /// Keep a new job, run by `worker` (alive now); its record.
    pub fn start_job(
        &mut self,
        owner: &str,
        kind: &str,
        document: &str,
        total: u64,
        request: Option<&DistributionRequest>,
        worker: &str,
    ) -> Result<JobRecord> {
        let at = now();
        self.store.forget_jobs(at - KEEP_FINISHED_SECS)?;
        let request = request
            .map(serde_json::to_value)
            .transpose()
            .map_err(|source| RegistryError::Encode {
                what: "job",
                source,
            })?;
        let mut job = JobRecord {
            id: 0,
            owner: owner.to_string(),
            kind: kind.to_string(),
            document: document.to_string(),
            request,
            output: serde_json::Value::Array(Vec::new()),
            worker: worker.to_string(),
            heartbeat_at: at,
            done: 0,
            total,
            created_at: at,
            finished_at: None,
            error: None,
        };
        job.id = self.store.put_job(&job)?;
        Ok(job)
    }

    /// Job `id`, if `owner` started it (nobody else learns it exists).
    pub fn job_of(&self, id: i64, owner: &str) -> Result<Option<JobRecord>> {
        Ok(self.store.job(id)?.filter(|j| j.owner == owner))
    }

    /// Write a job's progress, saying its worker is alive; false if
    /// another process has taken it over (the caller then stops).
    pub fn save_job(&mut self, job: &mut JobRecord) -> Result<bool> {
        job.heartbeat_at = now();
        Ok(self.store.update_job(job)?)
    }

    /// Mark a job finished, with why if it failed.
    pub fn finish_job(&mut self, job: &mut JobRecord, error: Option<String>) -> Result<bool> {
        job.finished_at = Some(now());
        job.error = error;
        self.save_job(job)
    }

    /// Take over a job whose process has said nothing for `quiet_secs`.
    /// A job only its own process could do is marked failed and the next
    /// is looked for; the job returned is one to carry on.
    pub fn claim_stale_job(&mut self, worker: &str, quiet_secs: i64) -> Result<Option<JobRecord>> {
        loop {
            let at = now();
            let Some(mut job) = self.store.claim_stale_job(worker, at, at - quiet_secs)? else {
                return Ok(None);
            };
            if job.request.is_some() {
                return Ok(Some(job));
            }
            self.finish_job(
                &mut job,
                Some("the server process doing this stopped; start it again".into()),
            )?;
        }
    }

    /// What a distribution job was asked to do.
    pub fn distribution_request(&self, job: &JobRecord) -> Result<DistributionRequest> {
        job.request
            .clone()
            .and_then(|r| serde_json::from_value(r).ok())
            .ok_or_else(|| RegistryError::Invalid(format!("job {} is not a distribution", job.id)))
    }

    /// Do the next `batch` recipients of a distribution job: issue their
    /// copies, make their links, keep the links sealed in the job and
    /// write its progress. Issuing is idempotent, so a batch cut short by
    /// a process that stopped is done again whole by the next. Returns
    /// false when the job is done or another process has taken it over.
    pub fn distribute_step(
        &mut self,
        job: &mut JobRecord,
        request: &DistributionRequest,
        batch: usize,
    ) -> Result<bool> {
        let start = (job.done as usize).min(request.to.len());
        let chunk: Vec<String> = request.to[start..]
            .iter()
            .take(batch.max(1))
            .cloned()
            .collect();
        if chunk.is_empty() {
            return Ok(false);
        }
        self.issue(&job.document, &chunk, &mut |_, _| {})?;
        if request.links {
            let names = self.names_of(&chunk)?;
            let made = self.create_links(&job.document, &chunk, request.expires_at)?;
            let mut sealed = Vec::with_capacity(made.len());
            for (l, secret) in made {
                let name = names
                    .iter()
                    .find(|(id, _)| *id == l.recipient_id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                sealed.push(self.seal_link(l.recipient_id, name, l.id, &secret)?);
            }
            if let serde_json::Value::Array(out) = &mut job.output {
                out.extend(sealed);
            }
        }
        job.done += chunk.len() as u64;
        self.save_job(job)
    }

    /// The links a job made, with their secrets.
    pub fn job_links(&self, job: &JobRecord) -> Result<Vec<MadeLink>> {
        let sealed: Vec<SealedLink> = serde_json::from_value(job.output.clone())
            .map_err(|e| RegistryError::Invalid(format!("job {}'s links: {e}", job.id)))?;
        sealed
            .into_iter()
            .map(|s| {
                Ok(MadeLink {
                    secret: self.open_secret(&s.sealed)?,
                    recipient: s.recipient,
                    name: s.name,
                    link: s.link,
                })
            })
            .collect()
    }

    fn job_cipher(&self) -> ChaCha20Poly1305 {
        let key = blake3::derive_key("telltale job secrets v1", self.key.expose_bytes());
        ChaCha20Poly1305::new(Key::from_slice(&key))
    }

    fn seal_link(
        &self,
        recipient: String,
        name: String,
        link: String,
        secret: &str,
    ) -> Result<serde_json::Value> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| {
            RegistryError::Key(format!("the operating system gave no randomness: {e}"))
        })?;
        let ct = self
            .job_cipher()
            .encrypt(Nonce::from_slice(&nonce), secret.as_bytes())
            .map_err(|_| RegistryError::Key("cannot seal a link".into()))?;
        let mut sealed = hex(&nonce);
        sealed.push_str(&hex(&ct));
        serde_json::to_value(SealedLink {
            recipient,
            name,
            link,
            sealed,
        })
        .map_err(|source| RegistryError::Encode {
            what: "job",
            source,
        })
    }

    fn open_secret(&self, sealed: &str) -> Result<String> {
        let damaged = || RegistryError::Invalid("a job's sealed link is damaged".into());
        let bytes = crate::keyfile::unhex(sealed).map_err(|_| damaged())?;
        if bytes.len() < 12 {
            return Err(damaged());
        }
        let (nonce, ct) = bytes.split_at(12);
        let plain = self
            .job_cipher()
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| damaged())?;
        String::from_utf8(plain).map_err(|_| damaged())
    }
}
