//! CSV responses: `text/csv` with a download file name, whole (small reports) or streamed in
//! chunks that each read in their own short transaction on the read pool.

use crate::db::Db;
use crate::error::ApiError;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, HttpResponseBuilder};
use futures_util::Stream;
use rusqlite::Connection;

pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// Chunks read ahead of the client: one being sent, one waiting. A client that reads slowly
/// stops the reading (backpressure) with at most this many chunks held in memory.
const READ_AHEAD: usize = 2;

/// `200 text/csv` with `Content-Disposition: attachment; filename="..."`.
pub fn csv_ok(filename: &str) -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type(CONTENT_TYPE)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(filename.to_string())],
        })
        .insert_header(("X-Content-Type-Options", "nosniff"));
    response
}

/// A whole (small) CSV file: the header, then the rows, RFC 4180.
pub fn csv_bytes<R>(header: &[&str], rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>, ApiError>
where
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let failed = |e: csv::Error| ApiError::Internal(format!("CSV: {e}"));
    let mut out = crate::store::export::writer(1024);
    out.write_record(header).map_err(failed)?;
    for row in rows {
        out.write_record(row).map_err(failed)?;
    }
    out.into_inner()
        .map_err(|e| ApiError::Internal(format!("CSV: {e}")))
}

/// The bytes `next` produces, chunk after chunk, as a response body stream. Each call of `next`
/// runs through [`Db::read`]: on the blocking pool, on a pooled connection, in one read
/// transaction that ends before the chunk is sent, so neither a pool connection nor a WAL
/// snapshot is held while the client takes its time. `next` returns `None` when it is done.
///
/// The reads run in a task of their own, at most [`READ_AHEAD`] chunks ahead of the socket; when
/// the client goes away the channel closes and the task stops at its next send. A read that fails
/// after the headers went out can no longer change the status: the error is logged and the body
/// ends abruptly (the connection is closed without the final chunk), so the client sees an
/// incomplete transfer rather than a short file that looks whole.
pub fn chunked<S, F>(
    db: Db,
    mut state: S,
    next: F,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>>
where
    S: Send + 'static,
    F: Fn(&Connection, &mut S) -> Result<Option<Bytes>, ApiError> + Send + Sync + Copy + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, ApiError>>(READ_AHEAD);
    actix_web::rt::spawn(async move {
        loop {
            let read = db
                .read(move |conn| {
                    let out = next(conn, &mut state)?;
                    Ok((state, out))
                })
                .await;
            match read {
                Ok((rest, Some(bytes))) => {
                    state = rest;
                    if sender.send(Ok(bytes)).await.is_err() {
                        return; // the client went away
                    }
                }
                Ok((_, None)) => return,
                Err(e) => {
                    tracing::error!(error = %e, "CSV export failed after its headers were sent");
                    let _ = sender.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        let item = receiver.recv().await?;
        Some((item.map_err(actix_web::Error::from), receiver))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("t.db"), 2).expect("database");
        (dir, db)
    }

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[actix_web::test]
    async fn chunks_are_read_only_as_fast_as_the_client_takes_them() {
        let (_dir, db) = db();
        let stream = chunked(db, 0u32, |_, n| {
            CALLS.fetch_add(1, Ordering::SeqCst);
            *n += 1;
            Ok((*n <= 100).then(|| Bytes::from(format!("{n}\n"))))
        });
        let mut stream = Box::pin(stream);
        let first = stream.next().await.expect("a chunk").expect("ok");
        assert_eq!(first, "1\n");
        // The reader settles READ_AHEAD chunks ahead plus the one it waits to hand over, however
        // many are left: backpressure, not a read of everything into memory.
        let settled = READ_AHEAD + 2;
        let deadline = Instant::now() + Duration::from_secs(5);
        while CALLS.load(Ordering::SeqCst) < settled && Instant::now() < deadline {
            actix_web::rt::time::sleep(Duration::from_millis(1)).await;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(CALLS.load(Ordering::SeqCst), settled);
        let rest: Vec<Bytes> = stream.map(|c| c.expect("ok")).collect().await;
        assert_eq!(rest.len(), 99);
        assert_eq!(rest[98], "100\n");
        assert_eq!(CALLS.load(Ordering::SeqCst), 101);
    }

    #[actix_web::test]
    async fn a_failed_read_ends_the_body_with_an_error() {
        let (_dir, db) = db();
        let stream = chunked(db, 0u32, |_, n| {
            *n += 1;
            if *n == 3 {
                return Err(ApiError::Internal("disk on fire".into()));
            }
            Ok(Some(Bytes::from_static(b"row\r\n")))
        });
        let items: Vec<_> = Box::pin(stream).collect().await;
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[1].is_ok());
        assert!(items[2].is_err());
    }

    #[test]
    fn small_files_are_rfc_4180() {
        let bytes = csv_bytes(&["a", "b"], [["x,y", "say \"hi\"\nbye"]]).expect("csv");
        assert_eq!(
            String::from_utf8(bytes).expect("utf-8"),
            "a,b\r\n\"x,y\",\"say \"\"hi\"\"\nbye\"\r\n"
        );
    }
}
