//! Registering a document and distributing copies in the background, as
//! jobs kept in the database (see `telltale_registry::jobs`): a browser's
//! request does not hang on them, any server process on the database
//! reports their progress, and when the process running one stops,
//! another takes it over once it has been quiet for `Config::job_quiet`.

use std::sync::{Arc, Mutex};

use telltale_core::{FileFormat, Profile};
use telltale_registry::jobs::{DISTRIBUTION, REGISTRATION};
use telltale_registry::{DistributionRequest, JobRecord};

use crate::auth::Caller;
use crate::ops::check_readable;
use crate::{App, Failure, Job, JobKind, JobLink};

/// Copies issued per step of a distribution: other requests are served
/// between steps, and a process that stops loses at most one step.
const BATCH: usize = 25;

/// Register a document in the background, reporting the language model's
/// progress through the sentences: a long document takes a while, and a
/// browser's request should not hang on it. Input that cannot be read is
/// refused at once, before a job starts. Returns the job's id.
pub async fn start_registration(
    app: &App,
    c: &Caller,
    bytes: Vec<u8>,
    format: FileFormat,
    title: Option<String>,
    profile: Profile,
) -> Result<i64, Failure> {
    check_readable(format, &bytes)?;
    let (owner, worker) = (c.user.name.clone(), app.worker().to_string());
    let job = app
        .run(c.actor(), move |r| {
            r.start_job(&owner, REGISTRATION, "", 0, None, &worker)
        })
        .await?;
    let id = job.id;
    let app2 = app.clone();
    let actor = c.actor();
    tokio::spawn(async move {
        // The model reports progress from inside the registration, which
        // holds its registry handle: another handle writes it, once a
        // second, which also says this process is alive.
        let progress = Arc::new(Mutex::new((0u64, 0u64)));
        let shared = progress.clone();
        let work = app2.run(actor.clone(), move |r| {
            r.set_gate_progress(Some(Arc::new(move |done, total| {
                if let Ok(mut p) = shared.lock() {
                    *p = (done as u64, total as u64);
                }
            })));
            let added = r.add_document_file(&bytes, format, title.as_deref(), profile);
            r.set_gate_progress(None);
            added
        });
        tokio::pin!(work);
        let mut job = job;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        let res = loop {
            tokio::select! {
                res = &mut work => break res,
                _ = tick.tick() => {
                    if let Ok(p) = progress.lock() {
                        (job.done, job.total) = *p;
                    }
                    job = save(&app2, &actor, job).await;
                }
            }
        };
        if let Ok(p) = progress.lock() {
            (job.done, job.total) = *p;
        }
        let error = match res {
            Ok(d) => {
                job.document = d.id;
                None
            }
            Err(f) => Some(f.message),
        };
        finish(&app2, &actor, job, error).await;
    });
    Ok(id)
}

/// Issue copies and make reading-room links in the background. Returns
/// the job's id.
pub async fn start_distribution(
    app: &App,
    c: &Caller,
    doc: String,
    who: Vec<String>,
    links: bool,
    expires_days: Option<u32>,
) -> Result<i64, Failure> {
    let request = DistributionRequest {
        to: who,
        links,
        expires_at: expires_days.map(|d| telltale_registry::now() + i64::from(d) * 86_400),
        actor: c.actor(),
    };
    let (owner, worker) = (c.user.name.clone(), app.worker().to_string());
    let req = request.clone();
    let job = app
        .run(c.actor(), move |r| {
            r.start_job(
                &owner,
                DISTRIBUTION,
                &doc,
                req.to.len() as u64,
                Some(&req),
                &worker,
            )
        })
        .await?;
    let id = job.id;
    tokio::spawn(run_distribution(app.clone(), job, request));
    Ok(id)
}

/// Carry a distribution on from its last step until it is done, fails, or
/// another process takes it over.
async fn run_distribution(app: App, job: JobRecord, request: DistributionRequest) {
    let actor = request.actor.clone();
    let mut job = job;
    loop {
        let (req, before) = (request.clone(), job.clone());
        let step = app
            .run(actor.clone(), move |r| {
                let more = r.distribute_step(&mut job, &req, BATCH)?;
                Ok((job, more))
            })
            .await;
        match step {
            Ok((j, true)) => job = j,
            Ok((j, false)) => {
                if j.done as usize >= request.to.len() {
                    finish(&app, &actor, j, None).await;
                }
                // Otherwise another process has taken it over.
                return;
            }
            // The step changed nothing that was kept in the job: it ends
            // as it last was, with the reason.
            Err(f) => return finish(&app, &actor, before, Some(f.message)).await,
        }
    }
}

/// Write a job's progress; the job as it now is.
async fn save(app: &App, actor: &str, job: JobRecord) -> JobRecord {
    let fallback = job.clone();
    app.run(actor.to_string(), move |r| {
        let mut job = job;
        r.save_job(&mut job)?;
        Ok(job)
    })
    .await
    .unwrap_or_else(|f| {
        // Progress is shown again at the next save; the job goes on.
        tracing::warn!(job = fallback.id, error = %f.message, "cannot record a job's progress");
        fallback
    })
}

/// Mark a job finished, with why if it failed.
async fn finish(app: &App, actor: &str, job: JobRecord, error: Option<String>) {
    let id = job.id;
    let res = app
        .run(actor.to_string(), move |r| {
            let mut job = job;
            r.finish_job(&mut job, error)
        })
        .await;
    if let Err(f) = res {
        tracing::warn!(job = id, error = %f.message, "cannot record that a job finished");
    }
}

/// A job, if it is the caller's, with the links it made.
pub async fn job(app: &App, c: &Caller, id: i64) -> Result<Job, Failure> {
    let owner = c.user.name.clone();
    let base = app.config().base_url.trim_end_matches('/').to_string();
    app.run(c.actor(), move |r| {
        let Some(j) = r.job_of(id, &owner)? else {
            return Ok(None);
        };
        let links = r
            .job_links(&j)?
            .into_iter()
            .map(|l| JobLink {
                recipient: l.recipient,
                name: l.name,
                link: l.link,
                url: format!("{base}/r/{}", l.secret),
            })
            .collect();
        Ok(Some(Job {
            id: j.id,
            kind: if j.kind == REGISTRATION {
                JobKind::Registration
            } else {
                JobKind::Distribution
            },
            document: j.document,
            done: j.done as usize,
            total: j.total as usize,
            finished: j.finished_at.is_some(),
            error: j.error,
            links,
        }))
    })
    .await?
    .ok_or_else(|| Failure::not_found(format!("job {id} not found")))
}

/// Take over, now and then, the jobs of processes that have gone quiet,
/// and carry them on. Runs for as long as the server does.
pub async fn watch_stale_jobs(app: App) {
    let quiet = app.config().job_quiet;
    let secs = quiet.as_secs().max(1) as i64;
    let mut tick = tokio::time::interval((quiet / 2).max(std::time::Duration::from_millis(500)));
    loop {
        tick.tick().await;
        let worker = app.worker().to_string();
        let claimed = app
            .run("server".into(), move |r| {
                let Some(job) = r.claim_stale_job(&worker, secs)? else {
                    return Ok(None);
                };
                let req = r.distribution_request(&job)?;
                Ok(Some((job, req)))
            })
            .await;
        match claimed {
            Ok(Some((job, req))) => {
                tracing::info!(
                    job = job.id,
                    done = job.done,
                    total = job.total,
                    "taking over a job whose process stopped"
                );
                tokio::spawn(run_distribution(app.clone(), job, req));
            }
            Ok(None) => {}
            Err(f) => tracing::warn!(error = %f.message, "cannot look for stopped jobs"),
        }
    }
}
