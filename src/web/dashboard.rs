//! The publisher's dashboard as numbers and a picture: the hourly counts of
//! [`crate::stores::tally`] summed over a window ([`Summary`]), and a
//! seven-day bar chart drawn as SVG on the server ([`chart`]): no script,
//! no outside reference, so it renders under the page's strict policy.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use crate::stores::tally::Counts;

/// A deploy that has not come back from the consent page within this many
/// whole hours after the hour it started in is counted as abandoned there.
const CONSENT_HOURS: u64 = 1;

/// One app's outcomes over a window of hours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Forms accepted, visitors sent to Linode's consent page.
    pub started: u64,
    /// Visitors who declined there, or never came back from it.
    pub abandoned: u64,
    /// Servers created.
    pub created: u64,
    /// Deploys whose app answered (or, without a ready check, whose server runs).
    pub reached: u64,
    /// Failed deploys, as (stage, reason, count), most first.
    pub failures: Vec<(String, String, u64)>,
    /// The median time from the create to the app answering, in seconds.
    pub median_to_ready: Option<u64>,
    /// Plans chosen, as (id, count), most first.
    pub plans: Vec<(String, u64)>,
    /// Regions chosen, as (id, count), most first.
    pub regions: Vec<(String, u64)>,
}

impl Summary {
    /// Sums `hours` (oldest first), as of hour `now`.
    pub fn of(hours: &[(u64, Counts)], now: u64) -> Self {
        let mut total: HashMap<&str, u64> = HashMap::new();
        let mut abandoned = 0;
        for (hour, counts) in hours {
            for (field, count) in counts {
                *total.entry(field.as_str()).or_default() += count;
            }
            let get = |name: &str| counts.get(name).copied().unwrap_or_default();
            abandoned += get("denied");
            if hour + CONSENT_HOURS < now {
                abandoned += get("started").saturating_sub(get("returned") + get("denied"));
            }
        }
        let get = |name: &str| total.get(name).copied().unwrap_or_default();
        let prefixed = |prefix: &str| -> Vec<(String, u64)> {
            let mut found: Vec<(String, u64)> = total
                .iter()
                .filter_map(|(field, count)| Some((field.strip_prefix(prefix)?.to_owned(), *count)))
                .collect();
            found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            found
        };
        let failures = prefixed("failed|")
            .into_iter()
            .map(|(key, count)| {
                let (stage, reason) = key.split_once('|').unwrap_or((key.as_str(), ""));
                (stage.to_owned(), reason.to_owned(), count)
            })
            .collect();
        let times: BTreeMap<u64, u64> =
            prefixed("ttr|").into_iter().filter_map(|(s, n)| Some((s.parse().ok()?, n))).collect();
        Self {
            started: get("started"),
            abandoned,
            created: get("created"),
            reached: get("ready") + get("running"),
            failures,
            median_to_ready: median(&times),
            plans: prefixed("plan|"),
            regions: prefixed("region|"),
        }
    }

    /// How many deploys failed.
    pub fn failed(&self) -> u64 {
        self.failures.iter().map(|(_, _, n)| n).sum()
    }
}

/// The lower median of a histogram of seconds.
fn median(times: &BTreeMap<u64, u64>) -> Option<u64> {
    let count: u64 = times.values().sum();
    let middle = count.checked_sub(1)? / 2;
    let mut seen = 0;
    for (seconds, n) in times {
        seen += n;
        if seen > middle {
            return Some(*seconds);
        }
    }
    None
}

/// A time in seconds in words: "45 s", "3 min 20 s".
pub fn duration_words(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        _ if seconds.is_multiple_of(60) => format!("{} min", seconds / 60),
        _ => format!("{} min {} s", seconds / 60, seconds % 60),
    }
}

/// One day of the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// Its label, such as "Dec 6".
    pub label: String,
    /// Deploys started.
    pub started: u64,
    /// Deploys that reached their app.
    pub reached: u64,
    /// Deploys that failed.
    pub failed: u64,
}

/// The last seven days (UTC, today last) of `hours`.
pub fn days(hours: &[(u64, Counts)], now: u64) -> Vec<Day> {
    let today = now / 24;
    (today.saturating_sub(6)..=today)
        .map(|day| {
            let mut totals = (0, 0, 0);
            for (_, counts) in hours.iter().filter(|(h, _)| h / 24 == day) {
                for (field, n) in counts {
                    match field.as_str() {
                        "started" => totals.0 += n,
                        "ready" | "running" => totals.1 += n,
                        f if f.starts_with("failed|") => totals.2 += n,
                        _ => {}
                    }
                }
            }
            let date = time::OffsetDateTime::from_unix_timestamp((day * 86_400) as i64)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let label = format!("{} {}", &date.month().to_string()[..3], date.day());
            Day { label, started: totals.0, reached: totals.1, failed: totals.2 }
        })
        .collect()
}

/// The three series of the chart, as (name, colour).
const SERIES: [(&str, &str); 3] =
    [("started", "#9ab8d6"), ("reached the app", "#3c8d3c"), ("failed", "#c9302c")];

/// A grouped bar chart of `days`: started, reached and failed per day, with
/// a scale, day labels, a legend and a text alternative.
pub fn chart(days: &[Day]) -> String {
    const WIDTH: u64 = 640;
    const HEIGHT: u64 = 220;
    const LEFT: u64 = 40;
    const TOP: u64 = 30;
    const PLOT: u64 = 150;
    let highest = days.iter().map(|d| d.started.max(d.reached).max(d.failed)).max().unwrap_or(0).max(1);
    let scale = |n: u64| n * PLOT / highest;
    let slot = (WIDTH - LEFT) / days.len().max(1) as u64;
    let bar = (slot - 16) / 3;
    let summary: Vec<String> = days
        .iter()
        .map(|d| {
            format!("{}: {} started, {} reached the app, {} failed", d.label, d.started, d.reached, d.failed)
        })
        .collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="Deploys per day, last 7 days"><title>Deploys per day, last 7 days. {}</title>"##,
        xml_text(&summary.join("; "))
    );
    let baseline = TOP + PLOT;
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{baseline}" x2="{WIDTH}" y2="{baseline}" stroke="#999999"/><text x="{}" y="{}" font-size="11" text-anchor="end" fill="#555555">{highest}</text><text x="{}" y="{baseline}" font-size="11" text-anchor="end" fill="#555555">0</text>"##,
        LEFT - 6,
        TOP + 4,
        LEFT - 6
    );
    for (i, day) in days.iter().enumerate() {
        let x0 = LEFT + i as u64 * slot + 8;
        for (k, (value, (name, colour))) in
            [day.started, day.reached, day.failed].into_iter().zip(SERIES).enumerate()
        {
            let height = scale(value);
            let _ = write!(
                svg,
                r##"<rect x="{}" y="{}" width="{bar}" height="{height}" fill="{colour}"><title>{}: {value} {name}</title></rect>"##,
                x0 + k as u64 * bar,
                baseline - height,
                xml_text(&day.label)
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#333333">{}</text>"##,
            x0 + 3 * bar / 2,
            baseline + 16,
            xml_text(&day.label)
        );
    }
    for (k, (name, colour)) in SERIES.iter().enumerate() {
        let x = LEFT + k as u64 * 150;
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/><text x="{}" y="16" font-size="12" fill="#333333">{name}</text>"##,
            x + 18
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Text made safe inside an SVG element or attribute.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> Counts {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn a_window_sums_its_hours_and_counts_who_never_came_back_from_consent() {
        let now = 1000;
        let hours = vec![
            // Long ago: 5 started, 3 came back, 1 declined: 1 never came back.
            (now - 5, counts(&[("started", 5), ("returned", 3), ("denied", 1), ("plan|g6-nanode-1", 5)])),
            // This hour: 2 started and are still at the consent page.
            (now, counts(&[("started", 2), ("plan|g6-standard-2", 2), ("region|us-east", 2)])),
            (now - 1, counts(&[("created", 3), ("ready", 2), ("ttr|90", 1), ("ttr|30", 1)])),
            (
                now - 2,
                counts(&[
                    ("running", 1),
                    ("failed|installing|no_answer", 1),
                    ("failed|create|rate_limited", 2),
                ]),
            ),
        ];
        let summary = Summary::of(&hours, now);
        assert_eq!((summary.started, summary.created, summary.reached), (7, 3, 3));
        assert_eq!(summary.abandoned, 2, "the declined one and the one that never came back");
        assert_eq!(summary.failed(), 3);
        assert_eq!(summary.failures[0], ("create".into(), "rate_limited".into(), 2), "most first");
        assert_eq!(summary.median_to_ready, Some(30), "the lower median of 30 and 90");
        assert_eq!(summary.plans, [("g6-nanode-1".to_owned(), 5), ("g6-standard-2".to_owned(), 2)]);
        assert_eq!(summary.regions, [("us-east".to_owned(), 2)]);
        assert_eq!(Summary::of(&[], now), Summary::default());
    }

    #[test]
    fn the_median_of_a_histogram_is_its_middle_value() {
        let times: BTreeMap<u64, u64> = [(10, 1), (20, 3), (500, 1)].into();
        assert_eq!(median(&times), Some(20));
        assert_eq!(median(&BTreeMap::new()), None);
        assert_eq!(duration_words(45), "45 s");
        assert_eq!(duration_words(200), "3 min 20 s");
        assert_eq!(duration_words(120), "2 min");
    }

    #[test]
    fn the_chart_is_one_svg_of_seven_labelled_days_with_no_script_or_link() {
        let now = 20_000 * 24 + 5;
        let hours = vec![(now, counts(&[("started", 4), ("ready", 3), ("failed|installing|stopped", 1)]))];
        let days = days(&hours, now);
        assert_eq!(days.len(), 7);
        assert_eq!((days[6].started, days[6].reached, days[6].failed), (4, 3, 1));
        assert_eq!(days[0].started, 0);
        let svg = chart(&days);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.ends_with("</svg>"));
        assert!(svg.contains(&format!("{}: 4 started, 3 reached the app, 1 failed", days[6].label)));
        for refused in ["<script", "href", "url(", "style="] {
            assert!(!svg.contains(refused), "{refused}");
        }
    }
}
