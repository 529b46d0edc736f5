//! CSV for spreadsheet programs: UTF-8 led by a byte-order mark (so Chinese text opens as
//! UTF-8, not the system code page), and no cell that a spreadsheet would run as a formula.

/// Writes rows; [`finish`](Sheet::finish) returns the file.
pub struct Sheet {
    out: csv::Writer<Vec<u8>>,
}

impl Default for Sheet {
    fn default() -> Self {
        Self {
            out: csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec()),
        }
    }
}

impl Sheet {
    pub fn row<I, S>(&mut self, cells: I) -> anyhow::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells.into_iter().map(|c| as_text(c.as_ref())).collect();
        self.out.write_record(&cells)?;
        Ok(())
    }

    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        self.out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// A cell that starts as a formula would (`= + - @`, a tab or a carriage return) gets a leading
/// apostrophe, which spreadsheets show as text (OWASP's advice on CSV injection). Numbers stay
/// numbers: `-2.5` cannot run anything.
fn as_text(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for cell in [
            "=1+1",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\r=1",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(as_text(cell), format!("'{cell}"));
        }
        for cell in ["-2.5", "+3", "plain", "", "a=b", "12"] {
            assert_eq!(as_text(cell), cell);
        }
    }

    #[test]
    fn the_file_starts_with_a_byte_order_mark() {
        let mut sheet = Sheet::default();
        sheet.row(["name", "=evil()"]).unwrap();
        let bytes = sheet.finish().unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
        assert_eq!(std::str::from_utf8(&bytes[3..]).unwrap(), "name,'=evil()\n");
    }
}
