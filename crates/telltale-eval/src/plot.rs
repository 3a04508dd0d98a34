//! Line plots as PNG, drawn with plotters and the vendored DejaVu Sans font
//! (`assets/`), so nothing is looked up on the system or fetched.

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// One named series of (x, y) points.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// Draw series on log-x (optionally log-y) axes.
pub fn lines(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_x: bool,
    log_y: bool,
) -> Result<()> {
    register_font();
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if pts.is_empty() {
        return Ok(());
    }
    let (mut x0, mut x1) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (mut y0, mut y1) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    if log_x {
        x0 = x0.max(1e-12);
    }
    if log_y {
        y0 = y0.max(1e-9);
    }
    if x1 <= x0 {
        x1 = x0 * 2.0 + 1.0;
    }
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    let root = BitMapBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e:?}"))?;
    let palette = [
        &BLUE,
        &RED,
        &GREEN,
        &MAGENTA,
        &CYAN,
        &BLACK,
        &RGBColor(230, 140, 0),
        &RGBColor(120, 60, 0),
    ];
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            let fmt = |v: &f64, log: bool| {
                if log {
                    format!("{v:.0e}")
                } else if v.abs() >= 1000.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v}")
                }
            };
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .x_label_formatter(&|v| fmt(v, log_x && *v < 0.01))
                .y_label_formatter(&|v| fmt(v, log_y))
                .draw()
                .map_err(|e| anyhow!("{e:?}"))?;
            for (i, s) in series.iter().enumerate() {
                let c = palette[i % palette.len()];
                let p: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|(x, y)| (!log_x || *x > 0.0) && (!log_y || *y > 0.0))
                    .collect();
                chart
                    .draw_series(LineSeries::new(p.clone(), c.stroke_width(2)))
                    .map_err(|e| anyhow!("{e:?}"))?
                    .label(s.name.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                    });
                chart
                    .draw_series(p.iter().map(|&q| Circle::new(q, 3, c.filled())))
                    .map_err(|e| anyhow!("{e:?}"))?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerRight)
                .draw()
                .map_err(|e| anyhow!("{e:?}"))?;
        }};
    }
    let mut b = ChartBuilder::on(&root);
    b.caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70);
    match (log_x, log_y) {
        (true, true) => draw!(b
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
            .map_err(|e| anyhow!("{e:?}"))?),
        (true, false) => draw!(b
            .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
            .map_err(|e| anyhow!("{e:?}"))?),
        (false, true) => draw!(b
            .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
            .map_err(|e| anyhow!("{e:?}"))?),
        (false, false) => draw!(b
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| anyhow!("{e:?}"))?),
    }
    root.present().map_err(|e| anyhow!("{e:?}"))?;
    Ok(())
}
