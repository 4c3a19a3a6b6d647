//! The scenario groups and what they share: run settings, the interleaved
//! round order, medians.
//!
//! Each group's file turns [`Settings`] into [`Scenario`] tables. Systems
//! alternate within a round (A B C, A B C, ...), never A A A B B B, so slow
//! drift on a shared machine hits every system alike; each figure is the
//! median over the rounds.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::Group;
use crate::report::Scenario;

pub mod fiber;
pub mod micro;
pub mod network;
pub mod node;
pub mod scale;

/// How long and how often to measure.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--quick`: shorter windows, smaller counts.
    pub quick: bool,
    /// Rounds per system.
    pub rounds: usize,
    /// Warm-up before each measured window.
    pub warmup: Duration,
    /// Measured window per round.
    pub duration: Duration,
    /// Load-generator connections.
    pub connections: usize,
    /// Output directory (Node scripts are written there too).
    pub out: PathBuf,
    /// Use wrk for HTTP.
    pub wrk: bool,
    /// Count instructions per request under callgrind.
    pub callgrind: bool,
}

impl Settings {
    /// Scales a full-run count down for `--quick`.
    pub fn count(&self, full: u64) -> u64 {
        if self.quick { full / 5 } else { full }
    }
}

/// Runs `group` and returns its tables.
pub fn run(group: Group, settings: &Settings) -> Vec<Scenario> {
    match group {
        Group::Http => vec![network::http(settings)],
        Group::Echo => vec![network::echo(settings)],
        Group::Micro => micro::run(settings),
        Group::Fiber => fiber::run(settings),
        Group::Node => node::run(settings),
        Group::Scale => vec![scale::run(settings)],
    }
}

/// The median of `values` (`None` when empty).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_rotate_so_every_system_takes_every_place() {
        let n = 4;
        let rounds: Vec<Vec<usize>> = (1..=n)
            .map(|round| (0..n).map(|place| round_order(round, place, n)).collect())
            .collect();
        assert_eq!(rounds[0], [0, 1, 2, 3]);
        assert_eq!(rounds[1], [1, 2, 3, 0]);
        for round in &rounds {
            let mut sorted = round.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2, 3], "each system once per round");
        }
        for system in 0..n {
            let mut places: Vec<usize> = rounds
                .iter()
                .map(|r| r.iter().position(|&s| s == system).unwrap())
                .collect();
            places.sort_unstable();
            assert_eq!(places, [0, 1, 2, 3], "system {system} in every place");
        }
    }

    #[test]
    fn interleave_runs_every_system_once_per_round_in_rotated_order() {
        let mut calls = Vec::new();
        let out = interleave(
            "test",
            &['a', 'b', 'c'],
            3,
            |s| s.to_string(),
            |s| {
                calls.push(s);
                if s == 'b' {
                    Err("no".to_owned())
                } else {
                    Ok(1)
                }
            },
        );
        assert_eq!(calls, ['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
        assert_eq!(out[0].samples.len(), 3);
        assert_eq!(out[1].errors.len(), 3);
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 1.0]), Some(1.0));
    }
}

/// Which system (by index, `n` systems) takes `place` in round `round`
/// (from 1): round 1 runs them in order, each later round starts one
/// further on.
fn round_order(round: usize, place: usize, n: usize) -> usize {
    (round - 1 + place) % n
}

/// One system's samples over the rounds, and the errors that cost it a
/// sample.
#[derive(Debug)]
pub struct Samples<S, T> {
    /// The system.
    pub system: S,
    /// One per successful round.
    pub samples: Vec<T>,
    /// Why rounds failed.
    pub errors: Vec<String>,
}

/// Calls `measure` for every system in every round, printing progress; a
/// failed measurement is recorded, not fatal. Rounds interleave the
/// systems (A B C, not A A B B) and each round starts one system later
/// (A B C, B C A, C A B): a system's place in the round is not the same
/// every time, so what a place carries (the previous server's leftovers,
/// such as its closed connections' TIME_WAIT entries in the kernel's
/// tables, or a cold first run) is spread over all systems instead of
/// always landing on the same one.
pub fn interleave<S: Copy + std::fmt::Debug, T>(
    what: &str,
    systems: &[S],
    rounds: usize,
    label: impl Fn(S) -> String,
    mut measure: impl FnMut(S) -> Result<T, String>,
) -> Vec<Samples<S, T>> {
    let mut all: Vec<Samples<S, T>> = systems
        .iter()
        .map(|&system| Samples {
            system,
            samples: Vec::new(),
            errors: Vec::new(),
        })
        .collect();
    let n = all.len();
    for round in 1..=rounds {
        for place in 0..n {
            let entry = &mut all[round_order(round, place, n)];
            eprint!(
                "\r{what}: round {round}/{rounds}: {:<40}",
                label(entry.system)
            );
            match measure(entry.system) {
                Ok(sample) => entry.samples.push(sample),
                Err(e) => {
                    eprintln!("\n  {}: {e}", label(entry.system));
                    entry.errors.push(e);
                }
            }
        }
    }
    eprintln!("\r{what}: done{:<60}", "");
    all
}

/// The median of one field over a system's samples.
pub fn median_of<T>(samples: &[T], field: impl Fn(&T) -> Option<f64>) -> Option<f64> {
    let values: Vec<f64> = samples.iter().filter_map(field).collect();
    median(&values)
}
