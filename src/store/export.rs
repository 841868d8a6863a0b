//! The donation intents CSV export (SPEC 13), read in keyset chunks: each chunk is the next
//! `limit` intents after a cursor `(created_at, id)`, written as CSV rows while SQLite hands them
//! over, so memory stays one chunk whatever the organization's size.

use crate::clock::format_micros;
use crate::domain::impact::label;
use rusqlite::{params, Connection};

/// The export's columns, in order.
pub const HEADER: [&str; 10] = [
    "id",
    "created_at",
    "amount",
    "campaign_identifier",
    "customer_id",
    "customer_external_id",
    "vendor_id",
    "vendor_external_id",
    "session_id",
    "impact",
];

/// Which intents an export holds: one organization's, created in `[start, end)`, in `created_at`
/// (then `id`) order.
#[derive(Debug, Clone)]
pub struct ExportQuery {
    pub org_id: String,
    pub start: i64,
    pub end: i64,
    pub descending: bool,
}

/// Where the next chunk starts: after (or, descending, before) this intent.
#[derive(Debug, Clone, Default)]
pub struct Cursor {
    last: Option<(i64, String)>,
    done: bool,
}

impl Cursor {
    /// Every intent has been written.
    pub fn done(&self) -> bool {
        self.done
    }
}

/// The current intent's fields while its snapshot rows go by.
#[derive(Default)]
struct Pending {
    id: String,
    created_at: i64,
    amount: String,
    fields: [Option<String>; 6],
    approximated: bool,
    /// `(position, label)` of each snapshot row, in whatever order they came.
    impact: Vec<(i64, String)>,
}

impl Pending {
    fn write(&mut self, out: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
        self.impact.sort_unstable_by_key(|(position, _)| *position);
        let impact = self
            .impact
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let text = |i: usize| self.fields[i].as_deref().unwrap_or("");
        out.write_record([
            self.id.as_str(),
            &format_micros(self.created_at),
            &self.amount,
            text(0),
            text(1),
            text(2),
            text(3),
            text(4),
            text(5),
            &impact,
        ])
    }
}

/// A CSV writer over a byte buffer: RFC 4180 (CRLF line ends, fields quoted when they hold a
/// comma, a quote or a line break, quotes doubled).
pub fn writer(capacity: usize) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::with_capacity(capacity))
}

fn csv_error(e: csv::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// The statement of [`write_chunk`]: `?1` org, `?2`/`?3` the range, `?4`/`?5` the cursor.
fn chunk_sql(descending: bool) -> String {
    let (d, after, other_end) = if descending {
        ("DESC", "<", "di.created_at >= ?2")
    } else {
        ("ASC", ">", "di.created_at < ?3")
    };
    // The intents come from the (org_id, created_at, id) index in the export's order, resuming
    // right after the cursor (a row-value comparison, also an index range), each joined to its
    // snapshot rows and to the customer's and vendor's external ids (empty once deleted). The
    // ORDER BY is the index's own order, so SQLite sorts nothing and hands rows over as it finds
    // them; an intent's rows are adjacent (its id is unique), and the chunk ends in Rust after
    // `limit` intents, not by a LIMIT (which would count snapshot rows).
    format!(
        "SELECT di.id, di.created_at, di.amount, di.campaign_identifier, di.customer_id, c.external_id,
                di.vendor_id, v.external_id, di.session_id, di.approximated,
                ii.position, ii.quantity_centi, ii.unit_singular, ii.unit_plural, ii.verb_past
         FROM donation_intents di
         LEFT JOIN customers c ON c.id = di.customer_id AND c.org_id = ?1
         LEFT JOIN vendors v ON v.id = di.vendor_id AND v.org_id = ?1
         LEFT JOIN intent_impacts ii ON ii.intent_id = di.id
         WHERE di.org_id = ?1 AND (di.created_at, di.id) {after} (?4, ?5) AND {other_end}
         ORDER BY di.created_at {d}, di.id {d}"
    )
}

/// Writes the next at most `limit` intents after `cursor` to `out` and moves the cursor past them
/// (setting `done` when none are left). Returns how many intents were written.
pub fn write_chunk(
    conn: &Connection,
    query: &ExportQuery,
    cursor: &mut Cursor,
    limit: i64,
    out: &mut csv::Writer<Vec<u8>>,
) -> rusqlite::Result<i64> {
    // The cursor is the only bound on the side the export starts from (the first chunk's cursor
    // is that end of the range), so SQLite seeks the index to it: with a second bound on that
    // side it took the range's, and every chunk scanned from the range's start again.
    let sql = chunk_sql(query.descending);
    let mut stmt = conn.prepare_cached(&sql)?;
    // Before the first chunk, the start of the range: ids are never empty, so `> (start, '')` is
    // `created_at >= start`, and `< (end, '')` is `created_at < end`.
    let (last_at, last_id) = match &cursor.last {
        Some((at, id)) => (*at, id.as_str()),
        None if query.descending => (query.end, ""),
        None => (query.start, ""),
    };
    let mut rows = stmt.query(params![
        query.org_id,
        query.start,
        query.end,
        last_at,
        last_id
    ])?;
    let mut pending: Option<Pending> = None;
    let mut written = 0;
    let mut more = false;
    while let Some(r) = rows.next()? {
        let id = r.get_ref(0)?.as_str()?;
        if pending.as_ref().is_none_or(|p| p.id != id) {
            if let Some(mut p) = pending.take() {
                p.write(out).map_err(csv_error)?;
                written += 1;
                cursor.last = Some((p.created_at, p.id));
                if written == limit {
                    more = true;
                    break;
                }
            }
            let text = |i: usize| -> rusqlite::Result<Option<String>> { r.get(i) };
            pending = Some(Pending {
                id: id.to_string(),
                created_at: r.get(1)?,
                amount: r.get::<_, i64>(2)?.to_string(),
                fields: [text(3)?, text(4)?, text(5)?, text(6)?, text(7)?, text(8)?],
                approximated: r.get(9)?,
                impact: Vec::new(),
            });
        }
        if let (Some(p), Some(position)) = (pending.as_mut(), r.get::<_, Option<i64>>(10)?) {
            p.impact.push((
                position,
                label(
                    r.get(11)?,
                    r.get_ref(12)?.as_str()?,
                    r.get_ref(13)?.as_str()?,
                    r.get_ref(14)?.as_str()?,
                    p.approximated,
                ),
            ));
        }
    }
    if let Some(mut p) = pending.take() {
        p.write(out).map_err(csv_error)?;
        written += 1;
        cursor.last = Some((p.created_at, p.id));
    }
    cursor.done = !more;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each chunk must seek the index to its cursor: were the range's bound used instead, every
    /// chunk would scan from the range's start again (quadratic in the export's size).
    #[test]
    fn a_chunk_seeks_the_index_to_its_cursor() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = crate::db::open(&dir.path().join("t.db")).expect("database");
        for (descending, bound) in [
            (false, "(created_at,id)>(?,?)"),
            (true, "(created_at,id)<(?,?)"),
        ] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {}", chunk_sql(descending)))
                .expect("explain")
                .query_map([rusqlite::types::Null; 5], |r| r.get::<_, String>(3))
                .expect("plan")
                .collect::<rusqlite::Result<_>>()
                .expect("rows");
            let search = plan
                .iter()
                .find(|l| l.contains("SEARCH di"))
                .unwrap_or_else(|| panic!("no index search: {plan:?}"));
            assert!(
                search.contains("donation_intents_org") && search.contains(bound),
                "{search}"
            );
            assert!(!plan.iter().any(|l| l.contains("TEMP B-TREE")), "{plan:?}");
        }
    }
}
