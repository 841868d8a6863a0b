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
    impact: String,
}

impl Pending {
    fn write(&self, out: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
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
            &self.impact,
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

/// Writes the next at most `limit` intents after `cursor` to `out` and moves the cursor past them
/// (setting `done` when none are left). Returns how many intents were written.
pub fn write_chunk(
    conn: &Connection,
    query: &ExportQuery,
    cursor: &mut Cursor,
    limit: i64,
    out: &mut csv::Writer<Vec<u8>>,
) -> rusqlite::Result<i64> {
    let (d, after) = if query.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    // The intents of the chunk come from the (org_id, created_at, id) index, the row values
    // comparison resuming exactly after the cursor; their snapshot rows and the customer's and
    // vendor's external ids are joined to each. A deleted customer or vendor leaves its external
    // id empty.
    let sql = format!(
        "SELECT p.id, p.created_at, p.amount, p.campaign_identifier, p.customer_id, c.external_id,
                p.vendor_id, v.external_id, p.session_id, p.approximated,
                ii.quantity_centi, ii.unit_singular, ii.unit_plural, ii.verb_past
         FROM (SELECT id, created_at, amount, campaign_identifier, customer_id, vendor_id, session_id,
                      approximated
               FROM donation_intents
               WHERE org_id = ?1 AND created_at >= ?2 AND created_at < ?3
                 AND (created_at, id) {after} (?4, ?5)
               ORDER BY created_at {d}, id {d} LIMIT ?6) AS p
         LEFT JOIN customers c ON c.id = p.customer_id AND c.org_id = ?1
         LEFT JOIN vendors v ON v.id = p.vendor_id AND v.org_id = ?1
         LEFT JOIN intent_impacts ii ON ii.intent_id = p.id
         ORDER BY p.created_at {d}, p.id {d}, ii.position"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    // Before the first chunk, a cursor outside every range (ids are never empty).
    let (last_at, last_id) = match &cursor.last {
        Some((at, id)) => (*at, id.as_str()),
        None if query.descending => (i64::MAX, ""),
        None => (i64::MIN, ""),
    };
    let mut rows = stmt.query(params![
        query.org_id,
        query.start,
        query.end,
        last_at,
        last_id,
        limit
    ])?;
    let mut pending: Option<Pending> = None;
    let mut written = 0;
    while let Some(r) = rows.next()? {
        let id = r.get_ref(0)?.as_str()?;
        if pending.as_ref().is_none_or(|p| p.id != id) {
            if let Some(p) = pending.take() {
                p.write(out).map_err(csv_error)?;
                written += 1;
                cursor.last = Some((p.created_at, p.id));
            }
            let text = |i: usize| -> rusqlite::Result<Option<String>> { r.get(i) };
            pending = Some(Pending {
                id: id.to_string(),
                created_at: r.get(1)?,
                amount: r.get::<_, i64>(2)?.to_string(),
                fields: [text(3)?, text(4)?, text(5)?, text(6)?, text(7)?, text(8)?],
                approximated: r.get(9)?,
                impact: String::new(),
            });
        }
        if let (Some(p), Some(centi)) = (pending.as_mut(), r.get::<_, Option<i64>>(10)?) {
            if !p.impact.is_empty() {
                p.impact.push_str("; ");
            }
            p.impact.push_str(&label(
                centi,
                r.get_ref(11)?.as_str()?,
                r.get_ref(12)?.as_str()?,
                r.get_ref(13)?.as_str()?,
                p.approximated,
            ));
        }
    }
    if let Some(p) = pending.take() {
        p.write(out).map_err(csv_error)?;
        written += 1;
        cursor.last = Some((p.created_at, p.id));
    }
    if written < limit {
        cursor.done = true;
    }
    Ok(written)
}
