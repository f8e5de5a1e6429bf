//! The watch that holds a token while a server starts: it lets go of the
//! token when the server runs, when the time bound passes, when the visitor
//! leaves, and when the app shuts down.

use std::time::Duration;

use install_on_linode::deploy::stage::{Progress, Revoked, Stage};
use install_on_linode::deploy::watch::{Started, Timing, WatchParts, Watches};
use install_on_linode::linode::models::Instance;
use install_on_linode::linode::{LinodeClient, LoginClient, http_client};

use crate::helpers::*;

fn instance() -> Instance {
    serde_json::from_value(instance_json()).unwrap()
}

async fn watches(app: &TestApp, timing: Timing) -> std::sync::Arc<Watches> {
    registry(app, timing, install_on_linode::deploy::watch::MAX_WATCHES)
}

/// A registry of at most `capacity` watches against the app's fake Linode.
fn registry(app: &TestApp, timing: Timing, capacity: usize) -> std::sync::Arc<Watches> {
    let http = http_client(Duration::from_secs(2));
    let api = url::Url::parse(&format!("{}/v4", app.linode.uri())).unwrap();
    let login = url::Url::parse(&app.linode.uri()).unwrap();
    Watches::with_capacity(
        LinodeClient::new(http.clone(), &api),
        LoginClient::new(http, &login, CLIENT_ID.into(), CLIENT_SECRET.into()),
        timing,
        WatchParts::default(),
        capacity,
    )
}

async fn finished(watches: &Watches, id: &str) -> Progress {
    for _ in 0..100 {
        let progress = watches.get(id).unwrap().progress();
        if !progress.access.is_held() {
            return progress;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the watch did not end");
}

fn watching(started: Started) -> String {
    match started {
        Started::Watching(id) => id,
        Started::Refused(progress) => panic!("refused: {progress:?}"),
    }
}

const QUICK: Timing = Timing {
    hard_bound: Duration::from_secs(60),
    left_after: Duration::from_secs(60),
    poll_every: Duration::from_millis(50),
};

#[tokio::test]
async fn the_token_is_revoked_the_moment_the_server_runs() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    mount_instance_status(&app.linode, "running").await;
    mount_revoke(&app.linode, 200).await;
    let watches = watches(&app, QUICK).await;

    let id = watching(watches.start(&instance(), None, TOKEN.into()).await);

    let progress = finished(&watches, &id).await;
    assert_eq!(progress.access.revoked(), Some(Revoked::Running));
    assert_eq!(progress.stage, Stage::Running);
    assert_eq!(app.revokes(1).await.len(), 1);
}

#[tokio::test]
async fn the_token_is_revoked_when_the_time_bound_passes() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    mount_instance_status(&app.linode, "provisioning").await;
    mount_revoke(&app.linode, 200).await;
    let watches = watches(&app, Timing { hard_bound: Duration::from_millis(300), ..QUICK }).await;

    let id = watching(watches.start(&instance(), None, TOKEN.into()).await);

    assert_eq!(finished(&watches, &id).await.access.revoked(), Some(Revoked::TimeLimit));
    assert_eq!(app.revokes(1).await.len(), 1);
}

#[tokio::test]
async fn the_token_is_revoked_when_nobody_watches_any_more() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    mount_instance_status(&app.linode, "booting").await;
    mount_revoke(&app.linode, 200).await;
    let watches = watches(&app, Timing { left_after: Duration::from_millis(200), ..QUICK }).await;

    let id = watching(watches.start(&instance(), None, TOKEN.into()).await);
    let watch = watches.get(&id).unwrap();
    let (_live, guard) = watch.subscribe();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(watch.progress().access.is_held(), "a live page keeps the watch going");
    drop(guard);

    let mut reason = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let current = watch_state(&watches, &id);
        if let Some(r) = current {
            reason = Some(r);
            break;
        }
    }
    assert_eq!(reason, Some(Revoked::VisitorLeft));
    assert_eq!(app.revokes(1).await.len(), 1);
}

/// The reason a watch ended, without counting as a look.
fn watch_state(watches: &Watches, id: &str) -> Option<Revoked> {
    watches.peek(id).and_then(|p| p.access.revoked())
}

#[tokio::test]
async fn shutting_down_revokes_every_token_still_held() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    mount_instance_status(&app.linode, "provisioning").await;
    mount_revoke(&app.linode, 200).await;
    let watches = watches(&app, QUICK).await;
    let ids = [
        watching(watches.start(&instance(), None, TOKEN.into()).await),
        watching(watches.start(&instance(), None, TOKEN.into()).await),
    ];

    watches.shutdown().await;

    for id in ids {
        assert_eq!(watches.get(&id).unwrap().progress().access.revoked(), Some(Revoked::Shutdown));
    }
    assert_eq!(app.requests_to("POST", "/oauth/revoke").await.len(), 2);
    assert_eq!(watches.holding(), 0);
}

#[tokio::test]
async fn a_full_registry_refuses_a_new_watch_before_keeping_it_and_revokes_its_token() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    mount_instance_status(&app.linode, "provisioning").await;
    mount_revoke(&app.linode, 200).await;
    let watches = registry(&app, QUICK, 1);
    let first = watching(watches.start(&instance(), None, TOKEN.into()).await);

    let second = watches.start(&instance(), None, TOKEN.into()).await;

    let Started::Refused(progress) = second else { panic!("the second watch is refused") };
    assert_eq!(progress.access.revoked(), Some(Revoked::Busy));
    assert!(progress.access.note().unwrap().contains("as many new servers as it can"));
    assert_eq!(app.revokes(1).await.len(), 1, "the refused watch's token is revoked at once");
    assert!(watches.peek(&first).unwrap().access.is_held(), "the first keeps watching");
    assert_eq!(watches.holding(), 1);
}

#[tokio::test]
async fn a_full_registry_forgets_a_finished_watch_to_make_room() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    mount_instance_status(&app.linode, "running").await;
    mount_revoke(&app.linode, 200).await;
    let watches = registry(&app, QUICK, 1);
    let first = watching(watches.start(&instance(), None, TOKEN.into()).await);
    finished(&watches, &first).await;

    let second = watching(watches.start(&instance(), None, TOKEN.into()).await);

    assert!(watches.peek(&first).is_none(), "the finished watch made room");
    assert!(watches.peek(&second).is_some());
}
