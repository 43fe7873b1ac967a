//! Byte offsets to lines and columns, and back.
//!
//! This is the only place that does that arithmetic, so every stage agrees on
//! what "line 12, column 5" means: lines are 1-based, columns are 1-based and
//! counted in Unicode scalar values (as rustc counts them), and a line ends at
//! `\n`, `\r\n` or a lone `\r` (as CommonMark says).

/// Start offsets of every line of one text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    line_starts.push(i + 2);
                    i += 1;
                }
                b'\r' => line_starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            line_starts,
            len: text.len(),
        }
    }

    /// Number of lines (a text ending in a newline has an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line of a byte offset (offsets past the end clamp to the last line).
    pub fn line(&self, offset: usize) -> u32 {
        let offset = offset.min(self.len);
        let idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        to_u32(idx + 1)
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: u32) -> Option<usize> {
        let idx = (line as usize).checked_sub(1)?;
        self.line_starts.get(idx).copied()
    }

    /// 1-based (line, column) of a byte offset in `text` (the same text the index was built from).
    pub fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line(offset);
        let start = self.line_starts[line as usize - 1];
        let column = text[start..offset].chars().count() + 1;
        (line, to_u32(column))
    }

    /// Byte offset of a 1-based (line, column); a column past the end of the line
    /// clamps to the line's end (before its line terminator).
    pub fn offset(&self, text: &str, line: u32, column: u32) -> Option<usize> {
        let start = self.line_start(line)?;
        let end = self.line_content_end(text, line)?;
        let skip = (column as usize).saturating_sub(1);
        let within = text[start..end]
            .char_indices()
            .nth(skip)
            .map(|(i, _)| start + i)
            .unwrap_or(end);
        Some(within)
    }

    /// Byte offset where the content of a 1-based line ends (its terminator excluded).
    pub fn line_content_end(&self, text: &str, line: u32) -> Option<usize> {
        let idx = (line as usize).checked_sub(1)?;
        let start = *self.line_starts.get(idx)?;
        let next = self.line_starts.get(idx + 1).copied().unwrap_or(self.len);
        let mut end = next;
        let bytes = text.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        Some(end)
    }

    /// The text of a 1-based line, without its terminator.
    pub fn line_text<'t>(&self, text: &'t str, line: u32) -> Option<&'t str> {
        let start = self.line_start(line)?;
        let end = self.line_content_end(text, line)?;
        text.get(start..end)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Converts a count to `u32`, saturating: documents over 4 G lines are refused earlier.
pub fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_round_trip() {
        let text = "ab\r\ncé\rx\n\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 5);
        assert_eq!(index.line_text(text, 1), Some("ab"));
        assert_eq!(index.line_text(text, 2), Some("cé"));
        assert_eq!(index.line_text(text, 3), Some("x"));
        assert_eq!(index.line_text(text, 4), Some(""));
        assert_eq!(index.line_text(text, 5), Some("last"));
        assert_eq!(index.line_text(text, 6), None);
        let x = text.find('x').expect("x is in the text");
        assert_eq!(index.line_col(text, x), (3, 1));
        let e = text.find('é').expect("é is in the text");
        assert_eq!(index.line_col(text, e + 'é'.len_utf8()), (2, 3));
        assert_eq!(index.offset(text, 2, 2), Some(e));
        assert_eq!(index.offset(text, 2, 99), index.line_content_end(text, 2));
    }
}
