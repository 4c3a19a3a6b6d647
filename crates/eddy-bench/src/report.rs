//! Results and how they are shown: the [`Scenario`] tables (printed and
//! written to `report.md`) and one SVG bar chart per scenario group.
//!
//! A scenario's first metric is its headline: the one charted and the one
//! Eddy's rows are compared on ("vs best peer", where > 1 means Eddy is
//! better, whichever direction the metric runs).

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use plotters::prelude::*;

use crate::machine::Machine;

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// More is better (throughput).
    Higher,
    /// Less is better (time, bytes, CPU).
    Lower,
}

/// One column of a scenario's table.
#[derive(Debug, Clone)]
pub struct Metric {
    /// Column title.
    pub name: &'static str,
    /// Unit shown beside the title.
    pub unit: &'static str,
    /// Which way is better.
    pub better: Better,
}

impl Metric {
    /// A metric where more is better.
    pub fn higher(name: &'static str, unit: &'static str) -> Metric {
        Metric {
            name,
            unit,
            better: Better::Higher,
        }
    }

    /// A metric where less is better.
    pub fn lower(name: &'static str, unit: &'static str) -> Metric {
        Metric {
            name,
            unit,
            better: Better::Lower,
        }
    }
}

/// One system's medians in a scenario.
#[derive(Debug, Clone)]
pub struct Row {
    /// The system's label.
    pub system: String,
    /// Whether this is an Eddy row.
    pub eddy: bool,
    /// One value per metric (`None`: not measurable here).
    pub values: Vec<Option<f64>>,
    /// What kind of system it is ("one core", "both cores", "task",
    /// "fiber"): Eddy rows are compared with peers of the same class when
    /// there are any, with all peers otherwise.
    pub class: &'static str,
}

/// One scenario's results.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The `--only` group it belongs to.
    pub group: &'static str,
    /// What was measured.
    pub title: String,
    /// Columns; the first is the headline.
    pub metrics: Vec<Metric>,
    /// One per system that ran.
    pub rows: Vec<Row>,
    /// Skipped systems, errors seen, caveats.
    pub notes: Vec<String>,
    /// How many leading metrics are headlines: charted, and compared
    /// against the best peer.
    pub headlines: usize,
}

impl Scenario {
    /// An empty scenario.
    pub fn new(group: &'static str, title: impl Into<String>, metrics: Vec<Metric>) -> Scenario {
        Scenario {
            group,
            title: title.into(),
            metrics,
            rows: Vec::new(),
            notes: Vec::new(),
            headlines: 1,
        }
    }

    /// The best value of metric `m` among peers of `class` (among all
    /// peers when none is).
    pub fn best_peer(&self, m: usize, class: &str) -> Option<f64> {
        let alike = self.rows.iter().any(|r| !r.eddy && r.class == class);
        let better = self.metrics.get(m)?.better;
        self.rows
            .iter()
            .filter(|r| !r.eddy && (!alike || r.class == class))
            .filter_map(|r| r.values.get(m).copied().flatten())
            .reduce(|a, b| match better {
                Better::Higher => a.max(b),
                Better::Lower => a.min(b),
            })
    }

    /// How much better than the best peer `row` is on metric `m` (> 1:
    /// better).
    pub fn ratio(&self, row: &Row, m: usize) -> Option<f64> {
        if !row.eddy {
            return None;
        }
        let best = self.best_peer(m, row.class)?;
        let v = row.values.get(m).copied().flatten()?;
        let r = match self.metrics[m].better {
            Better::Higher => v / best,
            Better::Lower => best / v,
        };
        r.is_finite().then_some(r)
    }

    /// The scenario as a markdown section.
    pub fn markdown(&self) -> String {
        let mut s = format!("### {}: {}\n\n| system |", self.group, self.title);
        for m in &self.metrics {
            let _ = write!(s, " {} ({}) |", m.name, m.unit);
        }
        for m in &self.metrics[..self.headlines] {
            let _ = write!(s, " Eddy vs best peer, {} |", m.name);
        }
        s.push_str("\n|---|");
        for _ in 0..self.metrics.len() + self.headlines {
            s.push_str("---:|");
        }
        s.push('\n');
        for row in &self.rows {
            let name = if row.eddy {
                format!("**{}**", row.system)
            } else {
                row.system.clone()
            };
            let _ = write!(s, "| {name} |");
            for v in &row.values {
                let _ = write!(s, " {} |", v.map_or("–".to_string(), format_value));
            }
            for m in 0..self.headlines {
                let ratio = self
                    .ratio(row, m)
                    .map_or(String::new(), |r| format!("{r:.2}×"));
                let _ = write!(s, " {ratio} |");
            }
            s.push('\n');
        }
        for note in &self.notes {
            let _ = writeln!(s, "\n> {note}");
        }
        s
    }
}

/// Formats a figure with about three significant digits.
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    if v == v.trunc() && a < 100_000.0 {
        format!("{v:.0}")
    } else if a >= 100_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The whole run: scenarios, the machine and how it was made.
#[derive(Debug)]
pub struct Report {
    /// Where and when.
    pub machine: Machine,
    /// The command line that produced it.
    pub command: String,
    /// How the rounds were run (rounds, durations, connections).
    pub method: String,
    /// Every scenario, in run order.
    pub scenarios: Vec<Scenario>,
}

impl Report {
    /// The report as markdown.
    pub fn markdown(&self) -> String {
        let mut s = String::from("# eddy-bench report\n\n");
        let _ = writeln!(s, "- date: {}", self.machine.date);
        let _ = writeln!(s, "- machine: {}", self.machine);
        let _ = writeln!(s, "- command: `{}`", self.command);
        let _ = writeln!(s, "- method: {}\n", self.method);
        for sc in &self.scenarios {
            s.push_str(&sc.markdown());
            s.push('\n');
        }
        s
    }

    /// Writes `report.md` and one `<group>.svg` per group into `dir`.
    pub fn write(&self, dir: &Path) -> io::Result<Vec<std::path::PathBuf>> {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("create {}: {e}", dir.display())))?;
        let mut written = Vec::new();
        let md = dir.join("report.md");
        std::fs::write(&md, self.markdown())
            .map_err(|e| io::Error::new(e.kind(), format!("write {}: {e}", md.display())))?;
        written.push(md);
        let mut groups: Vec<&'static str> = self.scenarios.iter().map(|s| s.group).collect();
        groups.dedup();
        for group in groups {
            let scenarios: Vec<&Scenario> = self
                .scenarios
                .iter()
                .filter(|s| s.group == group && !s.rows.is_empty())
                .collect();
            if scenarios.is_empty() {
                continue;
            }
            let path = dir.join(format!("{group}.svg"));
            draw_group(&path, group, &scenarios, &self.machine)
                .map_err(|e| io::Error::other(format!("draw {}: {e}", path.display())))?;
            written.push(path);
        }
        Ok(written)
    }
}

const PEER_COLOR: RGBColor = RGBColor(110, 130, 160);
const EDDY_COLOR: RGBColor = RGBColor(230, 120, 30);

/// One SVG: a horizontal bar chart of each scenario's headline metric.
fn draw_group(
    path: &Path,
    group: &str,
    scenarios: &[&Scenario],
    machine: &Machine,
) -> Result<(), Box<dyn std::error::Error>> {
    let panels: Vec<(&Scenario, usize)> = scenarios
        .iter()
        .flat_map(|s| (0..s.headlines).map(move |m| (*s, m)))
        .collect();
    let panel_heights: Vec<u32> = panels
        .iter()
        .map(|(s, _)| 70 + 26 * s.rows.len() as u32)
        .collect();
    let height = 50 + panel_heights.iter().sum::<u32>();
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let title = format!(
        "eddy-bench {group} — {} — {}, {} cores (orange: Eddy)",
        machine.date, machine.cpu, machine.cores
    );
    let root = root.titled(&title, ("sans-serif", 18))?;
    let mut rest = root;
    for ((sc, m), h) in panels.iter().zip(&panel_heights) {
        let (panel, below) = rest.split_vertically(*h);
        rest = below;
        draw_panel(&panel, sc, *m)?;
    }
    Ok(())
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    sc: &Scenario,
    m: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let metric = &sc.metrics[m];
    let n = sc.rows.len();
    let max = sc
        .rows
        .iter()
        .filter_map(|r| r.values[m])
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let direction = match metric.better {
        Better::Higher => "higher is better",
        Better::Lower => "lower is better",
    };
    let caption = format!(
        "{} — {} ({}, {direction})",
        sc.title, metric.name, metric.unit
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(22)
        .y_label_area_size(190)
        .build_cartesian_2d(0.0..max * 1.18, 0.0..n as f64)?;
    let labels: Vec<String> = sc.rows.iter().rev().map(|r| r.system.clone()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_x_mesh()
        .y_labels(n * 2 + 1)
        .y_label_formatter(&|y: &f64| {
            let centre = y - y.floor();
            let i = y.floor() as usize;
            if (centre - 0.5).abs() < 1e-6 && i < labels.len() {
                labels[i].clone()
            } else {
                String::new()
            }
        })
        .x_label_formatter(&|x: &f64| format_value(*x))
        .draw()?;
    for (i, row) in sc.rows.iter().rev().enumerate() {
        let Some(v) = row.values[m] else { continue };
        let color = if row.eddy { EDDY_COLOR } else { PEER_COLOR };
        let y = i as f64;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y + 0.15), (v, y + 0.85)],
            color.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format_value(v),
            (v + max * 0.01, y + 0.7),
            ("sans-serif", 12),
        )))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let mut sc = Scenario::new(
            "http",
            "hello",
            vec![
                Metric::higher("throughput", "req/s"),
                Metric::lower("cpu", "µs/req"),
            ],
        );
        sc.rows.push(Row {
            system: "peer a".into(),
            eddy: false,
            values: vec![Some(100.0), Some(10.0)],
            class: "one core",
        });
        sc.rows.push(Row {
            system: "peer b".into(),
            eddy: false,
            values: vec![Some(80.0), None],
            class: "one core",
        });
        sc.rows.push(Row {
            system: "eddy".into(),
            eddy: true,
            values: vec![Some(120.0), Some(8.0)],
            class: "one core",
        });
        sc
    }

    #[test]
    fn ratio_is_against_the_best_peer_and_above_one_when_eddy_wins() {
        let sc = scenario();
        assert_eq!(sc.best_peer(0, "one core"), Some(100.0));
        assert!((sc.ratio(&sc.rows[2], 0).unwrap() - 1.2).abs() < 1e-9);
        assert_eq!(sc.ratio(&sc.rows[0], 0), None);
    }

    #[test]
    fn eddy_rows_are_compared_with_peers_of_their_class() {
        let mut sc = scenario();
        sc.rows.push(Row {
            system: "peer on two cores".into(),
            eddy: false,
            values: vec![Some(500.0), Some(9.0)],
            class: "both cores",
        });
        assert_eq!(sc.best_peer(0, "one core"), Some(100.0));
        assert_eq!(sc.best_peer(0, "both cores"), Some(500.0));
        assert!((sc.ratio(&sc.rows[2], 0).unwrap() - 1.2).abs() < 1e-9);
    }

    #[test]
    fn lower_is_better_metrics_invert_the_ratio() {
        let sc = scenario();
        assert!((sc.ratio(&sc.rows[2], 1).unwrap() - 1.25).abs() < 1e-9);
    }

    #[test]
    fn markdown_has_every_system_and_the_ratio() {
        let md = scenario().markdown();
        assert!(md.contains("| peer a |"));
        assert!(md.contains("**eddy**"));
        assert!(md.contains("1.20×"));
        assert!(md.contains("–"));
    }

    #[test]
    fn writes_report_and_one_svg_per_group() {
        let dir = std::env::temp_dir().join(format!("eddy-bench-report-{}", std::process::id()));
        let report = Report {
            machine: Machine::describe(),
            command: "test".into(),
            method: "test".into(),
            scenarios: vec![scenario()],
        };
        let written = report.write(&dir).unwrap();
        assert_eq!(written.len(), 2);
        let svg = std::fs::read_to_string(dir.join("http.svg")).unwrap();
        assert!(svg.contains("<svg"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
