//! Tables for the terminal: cells measured in display columns (a CJK character takes two),
//! and fitted to the terminal's width by narrowing the widest columns first.

use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

/// Spaces between two columns.
const GAP: usize = 2;

/// A column: its header, its alignment and the widths it may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    /// The header.
    pub(crate) header: &'static str,
    /// Right-aligned (numbers).
    pub(crate) right: bool,
    /// The narrowest it is made to fit a terminal (narrower only when its cells are).
    pub(crate) min: usize,
    /// The widest it is, whatever the terminal.
    pub(crate) max: usize,
    /// How firmly it keeps its width when the table is narrowed: a column of weight 2 gives
    /// way as if it were half as wide.
    pub(crate) weight: usize,
}

impl Column {
    /// A left-aligned column from `min` to `max` columns wide.
    pub(crate) const fn left(header: &'static str, min: usize, max: usize) -> Column {
        Column {
            header,
            right: false,
            min,
            max,
            weight: 1,
        }
    }

    /// The same column, keeping its width `weight` times as firmly as the others.
    pub(crate) const fn weighted(self, weight: usize) -> Column {
        Column { weight, ..self }
    }

    /// A right-aligned column at least `width` wide, never narrowed (numbers stay whole).
    pub(crate) const fn right(header: &'static str, width: usize) -> Column {
        Column {
            header,
            right: true,
            min: width,
            max: usize::MAX,
            weight: 1,
        }
    }
}

/// The width tables are fitted to: `$COLUMNS`, else the terminal's on standard output, else
/// none (output to a file or a pipe: every column at its natural width).
pub(crate) fn terminal_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return Some(columns);
    }
    terminal_columns()
}

#[cfg(unix)]
fn terminal_columns() -> Option<usize> {
    let size = rustix::termios::tcgetwinsize(std::io::stdout()).ok()?;
    (size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(not(unix))]
fn terminal_columns() -> Option<usize> {
    None
}

/// The display width of `text`.
#[cfg(test)]
pub(crate) fn width_of(text: &str) -> usize {
    text.width()
}

/// `text` cut to `width` display columns, the cut marked with "…".
pub(crate) fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Each column's width: its widest cell (at most its `max`), then the widest columns (by
/// width over weight) narrowed, one column at a time, until the row fits `width` (or every
/// column is at its `min`).
fn widths(columns: &[Column], rows: &[Vec<String>], width: Option<usize>) -> Vec<usize> {
    let mut widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            rows.iter()
                .filter_map(|row| row.get(i))
                .map(|cell| cell.width())
                .chain([column.header.width()])
                .max()
                .unwrap_or(0)
                .min(column.max)
                // A right-aligned (number) column keeps its width, so numbers line up.
                .max(if column.right { column.min } else { 0 })
        })
        .collect();
    let Some(width) = width else {
        return widths;
    };
    let gaps = GAP * columns.len().saturating_sub(1);
    while widths.iter().sum::<usize>() + gaps > width {
        let widest = widths
            .iter()
            .enumerate()
            .filter(|&(i, &w)| !columns[i].right && w > columns[i].min)
            .max_by_key(|&(i, &w)| w * 2 / columns[i].weight.max(1))
            .map(|(i, _)| i);
        match widest {
            Some(i) => widths[i] -= 1,
            None => break,
        }
    }
    widths
}

/// The table: a header line and one line per row, each at most `width` columns when the
/// columns' minimums allow it.
pub(crate) fn render(columns: &[Column], rows: &[Vec<String>], width: Option<usize>) -> String {
    let widths = widths(columns, rows, width);
    let mut out = String::new();
    let headers: Vec<String> = columns.iter().map(|c| c.header.to_string()).collect();
    for row in std::iter::once(&headers).chain(rows) {
        let mut line = String::new();
        for (i, (column, &w)) in columns.iter().zip(&widths).enumerate() {
            let cell = fit(row.get(i).map_or("", String::as_str), w);
            let pad = " ".repeat(w.saturating_sub(cell.width()));
            if i > 0 {
                line.push_str(&" ".repeat(GAP));
            }
            if column.right {
                line.push_str(&pad);
                line.push_str(&cell);
            } else {
                line.push_str(&cell);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_by_display_width() {
        assert_eq!(fit("国际劳工组织", 7), "国际劳…");
        assert_eq!(fit("国际劳工组织", 12), "国际劳工组织");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(width_of(&fit("国际劳工组织", 6)), 5);
    }
}
