//! The session-flow load of `make bench`: CONNECTIONS clients, each on its own keep-alive
//! connection, repeat create (API key) -> choose_campaign (X-Session-Secret) -> confirm (API key)
//! for SECONDS. Prints one line: `flows N seconds S errors E p50_us P p99_us Q`, latencies per
//! whole flow.
//!
//! `cargo run --release --example flow_load -- BASE_URL API_KEY CONNECTIONS SECONDS`

use std::time::{Duration, Instant};

const CREATE: &str =
    r#"{"type":"add_on","amount":500,"available_campaigns":["trees-for-the-future","cleanhub"]}"#;
const CHOOSE: &str = r#"{"campaign_identifier":"cleanhub"}"#;

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
}

async fn flow(client: &reqwest::Client, base: &str, key: &str) -> Result<(), String> {
    let created: serde_json::Value = client
        .post(format!("{base}/sessions"))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(CREATE)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("create: {e}"))?
        .json()
        .await
        .map_err(|e| format!("create body: {e}"))?;
    let data = &created["data"];
    let (Some(id), Some(secret)) = (data["id"].as_str(), data["session_secret"].as_str()) else {
        return Err("create: no id or session_secret".into());
    };
    client
        .post(format!("{base}/sessions/{id}/choose_campaign"))
        .header("x-session-secret", secret)
        .header("content-type", "application/json")
        .body(CHOOSE)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("choose_campaign: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("choose_campaign body: {e}"))?;
    client
        .post(format!("{base}/sessions/{id}/confirm"))
        .bearer_auth(key)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("confirm: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("confirm body: {e}"))?;
    Ok(())
}

async fn client_loop(base: String, key: String, until: Instant) -> Tally {
    let mut tally = Tally::default();
    let client = match reqwest::Client::builder().pool_max_idle_per_host(1).build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("flow_load: {e}");
            tally.errors += 1;
            return tally;
        }
    };
    let mut reported = false;
    while Instant::now() < until {
        let started = Instant::now();
        match flow(&client, &base, &key).await {
            Ok(()) => tally
                .latencies_us
                .push(started.elapsed().as_micros() as u64),
            Err(e) => {
                tally.errors += 1;
                if !reported {
                    eprintln!("flow_load: {e}");
                    reported = true;
                }
            }
        }
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, key, connections, seconds] = args.as_slice() else {
        return Err("usage: flow_load BASE_URL API_KEY CONNECTIONS SECONDS".into());
    };
    let connections: usize = connections.parse()?;
    let seconds: f64 = seconds.parse()?;
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(client_loop(base.clone(), key.clone(), until)))
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let tally = task.await?;
        all.latencies_us.extend(tally.latencies_us);
        all.errors += tally.errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    println!(
        "flows {} seconds {elapsed:.3} errors {} p50_us {} p99_us {}",
        all.latencies_us.len(),
        all.errors,
        percentile(&all.latencies_us, 50.0),
        percentile(&all.latencies_us, 99.0)
    );
    Ok(())
}
