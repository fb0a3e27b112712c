//! Waiting for a deadline that may not be set, as the session task and the daemon's loop do
//! in their `select!`s.

/// Sleeps until `deadline`, or forever when there is none (a timer that is not armed).
pub async fn sleep_until(deadline: Option<impl Into<tokio::time::Instant>>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
