//! Watching a new server start: the only time the app holds a visitor's
//! token after the deploy request has been answered.
//!
//! The token never leaves the server. One task per deploy polls the instance
//! until it runs, and revokes the token the moment it runs, the 10-minute
//! bound passes, nobody has looked for 30 seconds (the visitor left), or
//! the server shuts down ([`Watches::shutdown`]). Visitors read the progress
//! through [`Watches::get`]; every read counts as "still here".

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::jobs::{Adopted, JobStore, SCAN_EVERY};
use super::mirror::Mirror;
use super::probe::{Addresses, Outcome, Readiness, next_probe_after};
use super::revoke::revoke;
use super::stage::{Failure, Progress, Revoked, Stage};
use crate::linode::models::Instance;
use crate::linode::{LinodeClient, LinodeError, LoginClient};
use crate::stores::tally::{Event, Tally};

/// How often and how long a watch looks.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// The longest the app holds a token (10 minutes).
    pub hard_bound: Duration,
    /// With no page watching for this long, the visitor has left (30 s).
    pub left_after: Duration,
    /// Time between two reads of the instance (2 s).
    pub poll_every: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            hard_bound: Duration::from_secs(10 * 60),
            left_after: Duration::from_secs(30),
            poll_every: Duration::from_secs(2),
        }
    }
}
impl Timing {
    /// How long a mirrored copy of a watch stands, for calls to Linode that
    /// time out after `http_timeout`: twice one read and one pause between reads.
    pub fn mirror_fresh_for(&self, http_timeout: Duration) -> Duration {
        2 * (http_timeout + self.poll_every)
    }
}

/// How long a finished watch is kept so its page can show the end.
pub const KEEP_FINISHED: Duration = Duration::from_secs(30 * 60);
/// At most this many watches are kept at once.
pub const MAX_WATCHES: usize = 10_000;

/// One deploy being watched.
#[derive(Debug)]
pub struct Watch {
    progress: watch::Sender<Progress>,
    last_seen: Mutex<Instant>,
    viewers: AtomicUsize,
    finished: Mutex<Option<Instant>>,
    delete: Notify,
    deleted: Notify,
}

impl Watch {
    fn new(progress: Progress) -> Self {
        Self {
            progress: watch::Sender::new(progress),
            last_seen: Mutex::new(Instant::now()),
            viewers: AtomicUsize::new(0),
            finished: Mutex::new(None),
            delete: Notify::new(),
            deleted: Notify::new(),
        }
    }

    /// The progress now; counts as a look.
    pub fn progress(&self) -> Progress {
        self.touch();
        self.progress.borrow().clone()
    }

    /// Changes of progress, for a live page; the watch counts the page as
    /// present until the returned guard is dropped.
    pub fn subscribe(self: &Arc<Self>) -> (watch::Receiver<Progress>, ViewerGuard) {
        self.viewers.fetch_add(1, Ordering::AcqRel);
        (self.progress.subscribe(), ViewerGuard(Arc::clone(self)))
    }

    fn touch(&self) {
        *self.last_seen.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    fn visitor_left(&self, after: Duration) -> bool {
        self.viewers.load(Ordering::Acquire) == 0
            && self.last_seen.lock().unwrap_or_else(|p| p.into_inner()).elapsed() > after
    }
}

/// Keeps a live page counted as present.
#[derive(Debug)]
pub struct ViewerGuard(Arc<Watch>);

impl Drop for ViewerGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.viewers.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What became of a new watch.
#[derive(Debug)]
pub enum Started {
    /// It is kept under this deploy id (and may already have let go of the token).
    Watching(String),
    /// The registry was full: the token was revoked at once and nothing is kept.
    Refused(Progress),
}

/// What a registry works with beyond Linode's API and login server; all optional.
#[derive(Debug, Default)]
pub struct WatchParts {
    /// Progress shared with the other replicas (Redis).
    pub mirror: Option<Mirror>,
    /// Each app's ready check, by app slug; an app without one is done at `running`.
    pub readiness: HashMap<String, Readiness>,
    /// Watches as jobs any replica carries on (Redis).
    pub jobs: Option<JobStore>,
    /// Where outcomes are counted for the dashboard.
    pub tally: Option<Tally>,
}

/// Every deploy this process watches.
#[derive(Debug)]
pub struct Watches {
    api: LinodeClient,
    login: LoginClient,
    timing: Timing,
    mirror: Option<Mirror>,
    readiness: HashMap<String, Readiness>,
    jobs: Option<JobStore>,
    tally: Option<Tally>,
    capacity: usize,
    watches: Mutex<HashMap<String, Arc<Watch>>>,
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Watches {
    /// A registry of at most [`MAX_WATCHES`] that reads instances with `api` and revokes with `login`.
    pub fn new(api: LinodeClient, login: LoginClient, timing: Timing, parts: WatchParts) -> Arc<Self> {
        Self::with_capacity(api, login, timing, parts, MAX_WATCHES)
    }

    /// A registry that keeps at most `capacity` watches.
    pub fn with_capacity(
        api: LinodeClient,
        login: LoginClient,
        timing: Timing,
        parts: WatchParts,
        capacity: usize,
    ) -> Arc<Self> {
        let WatchParts { mirror, readiness, jobs, tally } = parts;
        Arc::new(Self {
            api,
            login,
            timing,
            mirror,
            readiness,
            jobs,
            tally,
            capacity: capacity.max(1),
            watches: Mutex::default(),
            stop: CancellationToken::new(),
            tasks: TaskTracker::new(),
        })
    }

    /// Starts watching `instance` with `token`. Past shutdown the token is
    /// revoked at once and the watch starts finished. With the registry full
    /// of watches that still hold tokens, nothing is kept: the token is
    /// revoked at once and the caller gets that progress to show.
    pub async fn start(
        self: &Arc<Self>,
        instance: &Instance,
        ssh_user: Option<String>,
        token: SecretString,
    ) -> Started {
        self.start_as(crate::random::hex(16), "", instance, ssh_user, token).await
    }

    /// [`Self::start`] for the deploy of app `app` (its slug), under an id
    /// chosen beforehand (one the visitor's session already knows).
    pub async fn start_as(
        self: &Arc<Self>,
        id: String,
        app: &str,
        instance: &Instance,
        ssh_user: Option<String>,
        token: SecretString,
    ) -> Started {
        let mut progress = Progress::created(instance, ssh_user, self.timing.hard_bound);
        progress.app = app.to_owned();
        if self.readiness_of(app).is_some() {
            progress = progress.checking_app();
        }
        let watch = Arc::new(Watch::new(progress));
        // Room is made, or refused, before anything is kept.
        let room = {
            let mut watches = self.watches.lock().unwrap_or_else(|p| p.into_inner());
            make_room(&mut watches, self.capacity);
            let room = watches.len() < self.capacity;
            if room {
                watches.insert(id.clone(), Arc::clone(&watch));
            }
            room
        };
        if !room {
            revoke(&self.login, &token, Revoked::Busy).await;
            watch.progress.send_modify(|p| p.revoke(Revoked::Busy));
            return Started::Refused(watch.progress.borrow().clone());
        }
        self.publish(&id, &watch);
        if self.stop.is_cancelled() {
            self.finish(&id, &watch, &token, Revoked::Shutdown).await;
            return Started::Watching(id);
        }
        if let Some(jobs) = &self.jobs {
            jobs.acquire(&id).await;
            let progress = watch.progress.borrow().clone();
            jobs.save(&id, instance.id, &progress, Some(&token)).await;
        }
        let this = Arc::clone(self);
        let instance_id = instance.id;
        let watch_id = id.clone();
        let started = Instant::now();
        self.tasks.spawn(async move { this.run(&watch_id, watch, instance_id, Some(token), started).await });
        Started::Watching(id)
    }

    /// The ready check of app `app`; a watch saved before watches named
    /// their app (empty) has the check of the one app that has one.
    fn readiness_of(&self, app: &str) -> Option<&Readiness> {
        match self.readiness.get(app) {
            None if app.is_empty() && self.readiness.len() == 1 => self.readiness.values().next(),
            found => found,
        }
    }

    /// Counts the end of a deploy the first time its stage says it ended:
    /// its app answered, or (with no ready check) its server runs, or it failed
    /// at the stage it was at before.
    fn tally_end(&self, progress: &Progress, before: &Stage) {
        let Some(tally) = &self.tally else { return };
        let event = match &progress.stage {
            Stage::Ready => Event::Ready { seconds: progress.seconds_to_ready().unwrap_or_default() },
            Stage::Running if !progress.checks_app => Event::Running,
            Stage::Failed(failure) => Event::Failed { stage: before.as_str(), reason: failure.reason() },
            _ => return,
        };
        tally.record_now(&progress.app, event);
    }

    /// Runs `job` as a task the shutdown waits for, like every watch.
    pub fn spawn_job(&self, job: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.spawn(job);
    }

    /// The mirror other replicas read, when there is one.
    pub fn mirror(&self) -> Option<&Mirror> {
        self.mirror.as_ref()
    }

    fn publish(&self, id: &str, watch: &Watch) {
        if let Some(mirror) = &self.mirror {
            mirror.publish(id, &watch.progress.borrow());
        }
    }

    /// The watch of a deploy.
    pub fn get(&self, id: &str) -> Option<Arc<Watch>> {
        self.watches.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    /// The progress of a deploy without counting as a look (for operators and tests).
    pub fn peek(&self, id: &str) -> Option<Progress> {
        self.get(id).map(|w| w.progress.borrow().clone())
    }

    /// How many watches still hold a token.
    pub fn holding(&self) -> usize {
        let watches = self.watches.lock().unwrap_or_else(|p| p.into_inner());
        watches.values().filter(|w| w.progress.borrow().access.is_held()).count()
    }

    /// Whether [`Self::shutdown`] has begun: live pages end their streams.
    pub fn stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Stops every watch and waits until each has revoked its token.
    pub async fn shutdown(&self) {
        self.stop.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// Looks for jobs other replicas left (with Redis) every
    /// [`SCAN_EVERY`] and carries them on, until shutdown.
    pub fn adopt_orphans(self: &Arc<Self>) {
        let Some(jobs) = self.jobs.clone() else { return };
        let this = Arc::clone(self);
        self.tasks.spawn(async move {
            loop {
                tokio::select! {
                    () = this.stop.cancelled() => break,
                    () = tokio::time::sleep(SCAN_EVERY) => {}
                }
                for (id, adopted) in jobs.adopt().await {
                    tracing::info!(
                        linode_id = adopted.instance_id,
                        "took over a deploy another replica left"
                    );
                    this.resume(id, adopted);
                }
            }
        });
    }

    /// Carries on a job taken over from another replica.
    fn resume(self: &Arc<Self>, id: String, adopted: Adopted) {
        let Adopted { instance_id, progress, token } = adopted;
        let age = Duration::from_secs(progress.elapsed_secs());
        let watch = Arc::new(Watch::new(progress));
        self.watches.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), Arc::clone(&watch));
        self.publish(&id, &watch);
        let started = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
        let this = Arc::clone(self);
        self.tasks.spawn(async move { this.run(&id, watch, instance_id, token, started).await });
    }

    async fn run(
        &self,
        id: &str,
        watch: Arc<Watch>,
        instance_id: u64,
        token: Option<SecretString>,
        started: Instant,
    ) {
        let mut published = Instant::now();
        let mut token = token;
        let mut handed_over = false;
        let mut addresses = Addresses { ipv4: watch.progress.borrow().ip.clone(), ..Addresses::default() };
        let mut probes = 0u32;
        let mut next_probe = Instant::now();
        let app = watch.progress.borrow().app.clone();
        let readiness = self.readiness_of(&app);
        let mut before = watch.progress.borrow().stage.clone();
        let mut tallied = false;
        loop {
            let mut changed = false;
            if let Some(held) = &token
                && !watch.progress.borrow().stage.is_final()
            {
                // Boxed: the task then holds only a small future while it sleeps.
                match Box::pin(self.api.instance(held, instance_id)).await {
                    Ok(instance) => {
                        addresses.ipv4 = instance.ipv4.first().cloned().or(addresses.ipv4.take());
                        addresses.ipv6 =
                            instance.ipv6.as_deref().map(|a| a.split('/').next().unwrap_or(a).to_owned());
                        changed |= watch.progress.send_if_modified(|p| p.observe(&instance));
                    }
                    Err(LinodeError::Status { status, .. }) if status.as_u16() == 401 => {
                        self.let_go(&watch, &mut token, Revoked::TokenRejected).await;
                        changed = true;
                    }
                    Err(error) => tracing::debug!(%error, "could not read the instance; will try again"),
                }
            }
            if let Some(readiness) = readiness {
                let stage = watch.progress.borrow().stage.clone();
                // Without the token the server's status is unknown; the probe alone says when the app answers.
                let probing = stage == Stage::Installing || (token.is_none() && !stage.is_final());
                if probing && Instant::now() >= next_probe {
                    if let (Some(held), true, None) = (&token, readiness.check.needs_rdns(), &addresses.rdns)
                    {
                        addresses.rdns = Box::pin(self.api.rdns(held, instance_id)).await.ok().flatten();
                    }
                    match Box::pin(readiness.check.probe(&addresses)).await {
                        Outcome::Ready => {
                            let open = readiness.open_url(&addresses).unwrap_or_default();
                            watch.progress.send_modify(|p| p.ready(open));
                            changed = true;
                        }
                        Outcome::Refused(why) => {
                            tracing::warn!(reason = %why, "the ready check cannot probe this server");
                            watch.progress.send_modify(|p| p.fail(Failure::Unprobeable(why)));
                            changed = true;
                        }
                        Outcome::NotYet(why) => tracing::debug!(reason = %why, "the app does not answer yet"),
                    }
                    probes += 1;
                    next_probe = Instant::now() + next_probe_after(probes);
                }
                if probing && started.elapsed() >= readiness.timeout {
                    watch.progress.send_modify(|p| p.fail(Failure::NoAnswer));
                    changed = true;
                }
            }
            if token.is_some() {
                let Timing { hard_bound, left_after, .. } = self.timing;
                let done = watch.progress.borrow().done_with_token();
                let reason = match done {
                    Some(reason) => Some(reason),
                    None if started.elapsed() >= hard_bound => Some(Revoked::TimeLimit),
                    None if watch.visitor_left(left_after)
                        && !Box::pin(self.seen_elsewhere(id, left_after)).await =>
                    {
                        Some(Revoked::VisitorLeft)
                    }
                    None => None,
                };
                if let Some(reason) = reason {
                    self.let_go(&watch, &mut token, reason).await;
                    changed = true;
                }
            }
            {
                let progress = watch.progress.borrow();
                let ended =
                    progress.stage.is_final() || (progress.stage == Stage::Running && !progress.checks_app);
                if ended && !tallied {
                    self.tally_end(&progress, &before);
                    tallied = true;
                } else if !ended {
                    before = progress.stage.clone();
                }
            }
            // Alive, changed or not, whether or not Linode answered.
            let beat = self.mirror.as_ref().is_some_and(|m| published.elapsed() >= m.beat_every());
            if changed || beat {
                self.publish(id, &watch);
                published = Instant::now();
            }
            if let Some(jobs) = &self.jobs {
                if changed {
                    let progress = watch.progress.borrow().clone();
                    jobs.save(id, instance_id, &progress, token.as_ref()).await;
                }
                // Another replica owns it now (this one stalled past its lease): let it go on.
                if jobs.renew(id).await == Some(false) {
                    handed_over = true;
                    break;
                }
            }
            let stage = watch.progress.borrow().stage.clone();
            let checking = readiness.is_some() && watch.progress.borrow().checks_app;
            if token.is_none() && (!checking || stage.is_final()) {
                break;
            }
            let pause = if token.is_some() {
                self.timing.poll_every
            } else {
                next_probe.saturating_duration_since(Instant::now())
            };
            tokio::select! {
                () = self.stop.cancelled() => {
                    match (&self.jobs, &token) {
                        // With Redis, another replica carries the job on: hand it over.
                        (Some(jobs), _) => {
                            let progress = watch.progress.borrow().clone();
                    jobs.save(id, instance_id, &progress, token.as_ref()).await;
                            jobs.release(id).await;
                            handed_over = true;
                            tracing::info!(linode_id = instance_id, "deploy handed over to another replica");
                        }
                        (None, Some(_)) => self.let_go(&watch, &mut token, Revoked::Shutdown).await,
                        (None, None) => {}
                    }
                    break;
                }
                () = watch.delete.notified() => {
                    if let Some(held) = token.clone()
                        && watch.progress.borrow().can_delete()
                    {
                        match self.api.delete_instance(&held, instance_id).await {
                            Ok(()) => {
                                tracing::info!(linode_id = instance_id, "failed server deleted at the visitor's request");
                                watch.progress.send_modify(Progress::deleted);
                                self.let_go(&watch, &mut token, Revoked::Deleted).await;
                                self.publish(id, &watch);
                            }
                            Err(error) => tracing::warn!(%error, "Linode did not delete the failed server"),
                        }
                        watch.deleted.notify_waiters();
                    }
                }
                () = tokio::time::sleep(pause) => {}
            }
        }
        *watch.finished.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        if handed_over {
            return;
        }
        {
            let progress = watch.progress.borrow();
            crate::metrics::deploy_finished(progress.stage.as_str(), progress.seconds_to_ready());
        }
        self.publish(id, &watch);
        if let Some(jobs) = &self.jobs {
            jobs.finish(id).await;
        }
    }

    /// Revokes the token for `reason` and records it.
    async fn let_go(&self, watch: &Watch, token: &mut Option<SecretString>, reason: Revoked) {
        if let Some(held) = token.take() {
            revoke(&self.login, &held, reason).await;
            watch.progress.send_modify(|p| p.revoke(reason));
        }
    }

    /// Asks the watch to delete its failed server, and waits (up to 15 s)
    /// for Linode's answer; true when the server is gone.
    pub async fn delete(&self, id: &str) -> bool {
        let Some(watch) = self.get(id) else { return false };
        if !watch.progress.borrow().can_delete() {
            return false;
        }
        let answered = watch.deleted.notified();
        watch.delete.notify_one();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(15), answered).await;
        watch.progress.borrow().stage == Stage::Deleted
    }

    async fn seen_elsewhere(&self, id: &str, within: Duration) -> bool {
        match &self.mirror {
            Some(mirror) => mirror.seen_within(id, within).await,
            None => false,
        }
    }

    async fn finish(&self, id: &str, watch: &Watch, token: &SecretString, reason: Revoked) {
        revoke(&self.login, token, reason).await;
        watch.progress.send_modify(|p| p.revoke(reason));
        *watch.finished.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        self.publish(id, watch);
    }
}

/// Forgets watches finished more than [`KEEP_FINISHED`] ago and, while the
/// registry is still full, the one that finished first; a watch that still
/// holds a token is never forgotten.
fn make_room(watches: &mut HashMap<String, Arc<Watch>>, capacity: usize) {
    let finished_at = |w: &Watch| *w.finished.lock().unwrap_or_else(|p| p.into_inner());
    watches.retain(|_, w| finished_at(w).is_none_or(|at| at.elapsed() < KEEP_FINISHED));
    while watches.len() >= capacity {
        let oldest = watches
            .iter()
            .filter_map(|(id, w)| finished_at(w).map(|at| (at, id.clone())))
            .min()
            .map(|(_, id)| id);
        match oldest {
            Some(id) => watches.remove(&id),
            None => break,
        };
    }
}
