//! Background work done for someone: should it panic, the panic is logged and they are told once.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use crate::app::state::AppState;

/// Runs `work`; `Err` with the panic's message if it panicked.
pub(crate) async fn caught(work: impl Future<Output = ()>) -> Result<(), String> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|panic| panic_message(&*panic))
}

/// Runs `work` on the state's task tracker, inside the current span (its log lines keep the
/// request id). If it panics, an error is logged and `tell` says so to whoever it was for:
/// nobody is left without an answer.
pub(crate) fn spawn<Tell, Told>(
    state: &AppState,
    work: impl Future<Output = ()> + Send + 'static,
    tell: Tell,
) where
    Tell: FnOnce(AppState) -> Told + Send + 'static,
    Told: Future<Output = ()> + Send,
{
    let for_tell = state.clone();
    state.background().spawn(tracing::Instrument::instrument(
        async move {
            if let Err(panic) = caught(work).await {
                tracing::error!(%panic, "background work panicked; telling the user it could not be confirmed");
                tell(for_tell).await;
            }
        },
        tracing::Span::current(),
    ));
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(test)]
mod tests {
    use super::caught;

    #[tokio::test]
    async fn a_panic_is_caught_with_its_message_and_work_that_ends_is_not() {
        assert_eq!(caught(async {}).await, Ok(()));
        let boom = caught(async { panic!("boom {}", 7) }).await;
        assert_eq!(boom, Err("boom 7".to_owned()));
        let literal = caught(async { panic!("literal") }).await;
        assert_eq!(literal, Err("literal".to_owned()));
    }
}
