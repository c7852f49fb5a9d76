//! Delivery to a command's `response_url`: JSON POST with a timeout, retried on network errors and 5xx.

use std::time::Duration;

use rand::Rng;

use crate::slack::{Reply, ResponseUrl};

/// How deliveries are retried. Slack accepts up to five posts per `response_url` within 30 minutes.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryPolicy {
    pub attempts: u32,
    /// Delay before the first retry; doubled for each later one, with ±25 % jitter.
    pub first_backoff: Duration,
    pub timeout: Duration,
}

impl Default for DeliveryPolicy {
    /// Attempts at about 0, 1, 3, 7 and 15 s: at least three inside Slack's first 30 seconds.
    fn default() -> Self {
        Self {
            attempts: 5,
            first_backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
        }
    }
}

impl DeliveryPolicy {
    /// The longest a delivery under this policy can take: every attempt timing out, and every
    /// backoff at the top of its jitter.
    pub fn longest(&self) -> Duration {
        let backoffs: Duration = (1..self.attempts)
            .map(|retry| {
                self.first_backoff
                    .saturating_mul(1 << (retry - 1).min(16))
                    .mul_f64(1.25)
            })
            .sum();
        self.timeout.saturating_mul(self.attempts) + backoffs
    }
}

/// Why a message could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// 4xx: retrying cannot help (`used_url`, `expired_url`, invalid payload).
    #[error("Slack refused the message with HTTP {0}")]
    Refused(u16),
    #[error("the service shut down before the message was delivered")]
    Interrupted,
    #[error("gave up after {attempts} attempts: {last}")]
    GaveUp { attempts: u32, last: String },
    /// A post timed out or broke after its body went out, and no later attempt got through:
    /// the message may well have arrived, so it is not sent again, nor another way.
    #[error("gave up after {attempts} attempts; the message may have arrived: {last}")]
    Uncertain { attempts: u32, last: String },
}

/// What happened on the way, for whoever counts deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryEvent {
    /// Slack took the message (2xx).
    Delivered,
    /// An attempt failed and another follows.
    Retried,
    /// Slack refused it (4xx); not retried.
    Refused,
    /// Every attempt allowed failed, or a second one might deliver a duplicate.
    GaveUp,
}

impl DeliveryEvent {
    pub const ALL: [DeliveryEvent; 4] = [
        DeliveryEvent::Delivered,
        DeliveryEvent::Retried,
        DeliveryEvent::Refused,
        DeliveryEvent::GaveUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryEvent::Delivered => "delivered",
            DeliveryEvent::Retried => "retried",
            DeliveryEvent::Refused => "refused",
            DeliveryEvent::GaveUp => "gave_up",
        }
    }
}

/// POSTs `reply` to `url`, retrying only failures that may be transient.
///
/// A connection that was never made cannot have delivered anything, and a 5xx was refused,
/// so both are retried. A timeout or a connection lost after the body went out may well have
/// delivered the message: that is retried once, never more, so a hanging hook does not get a
/// pile of identical cards.
pub async fn deliver(
    http: &reqwest::Client,
    url: &ResponseUrl,
    reply: &Reply,
    policy: DeliveryPolicy,
) -> Result<(), DeliveryError> {
    deliver_observed(http, url, reply, policy, &|_| {}).await
}

/// [`deliver`], telling `observe` of each retry and of how the delivery ended.
pub async fn deliver_observed(
    http: &reqwest::Client,
    url: &ResponseUrl,
    reply: &Reply,
    policy: DeliveryPolicy,
    observe: &(dyn Fn(DeliveryEvent) + Sync),
) -> Result<(), DeliveryError> {
    let mut backoff = policy.first_backoff;
    let mut last = String::new();
    let mut maybe_delivered = 0;
    for attempt in 1..=policy.attempts {
        let result = http
            .post(url.url().clone())
            .timeout(policy.timeout)
            .json(reply)
            .send()
            .await;
        match result {
            Ok(response) if response.status().is_success() => {
                observe(DeliveryEvent::Delivered);
                return Ok(());
            }
            Ok(response) if response.status().is_client_error() => {
                let status = response.status().as_u16();
                // Refused now, but an earlier attempt may have arrived: posting it another way
                // could show it twice.
                if maybe_delivered > 0 {
                    observe(DeliveryEvent::GaveUp);
                    return Err(DeliveryError::Uncertain {
                        attempts: attempt,
                        last: format!("HTTP {status}"),
                    });
                }
                observe(DeliveryEvent::Refused);
                return Err(DeliveryError::Refused(status));
            }
            Ok(response) => last = format!("HTTP {}", response.status().as_u16()),
            Err(e) if e.is_connect() => last = crate::slack::users::without_url(e),
            Err(e) => {
                last = crate::slack::users::without_url(e);
                maybe_delivered += 1;
                if maybe_delivered > 1 {
                    observe(DeliveryEvent::GaveUp);
                    return Err(DeliveryError::Uncertain {
                        attempts: attempt,
                        last,
                    });
                }
            }
        }
        if attempt < policy.attempts {
            observe(DeliveryEvent::Retried);
            tracing::warn!(attempt, error = %last, "response_url delivery failed; retrying");
            tokio::time::sleep(jitter(backoff)).await;
            backoff = backoff.saturating_mul(2);
        }
    }
    observe(DeliveryEvent::GaveUp);
    // One attempt may have arrived: posting again later could show the message twice.
    if maybe_delivered > 0 {
        return Err(DeliveryError::Uncertain {
            attempts: policy.attempts,
            last,
        });
    }
    Err(DeliveryError::GaveUp {
        attempts: policy.attempts,
        last,
    })
}

/// ±25 %, so many deliveries failing together do not retry in lockstep.
pub fn jitter(delay: Duration) -> Duration {
    delay.mul_f64(rand::rng().random_range(0.75..=1.25))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_delivery_is_every_attempt_timing_out_after_the_longest_backoffs() {
        // (attempts, first backoff ms, timeout ms, longest ms)
        let cases = [
            (5, 1_000, 5_000, 25_000 + 1_250 + 2_500 + 5_000 + 10_000),
            (2, 1_000, 5_000, 10_000 + 1_250),
            (1, 20, 2_000, 2_000),
            (0, 20, 2_000, 0),
        ];
        for (attempts, backoff, timeout, longest) in cases {
            let policy = DeliveryPolicy {
                attempts,
                first_backoff: Duration::from_millis(backoff),
                timeout: Duration::from_millis(timeout),
            };
            assert_eq!(
                policy.longest(),
                Duration::from_millis(longest),
                "{attempts} attempts"
            );
        }
    }

    #[test]
    fn the_default_policy_makes_at_least_three_attempts_in_the_first_30_seconds_even_with_jitter() {
        let policy = DeliveryPolicy::default();
        let (mut at, mut backoff, mut within_30s) = (Duration::ZERO, policy.first_backoff, 0);
        for _ in 0..policy.attempts {
            // Worst case: every attempt times out and every delay gets the full +25 %.
            if at < Duration::from_secs(30) {
                within_30s += 1;
            }
            at += policy.timeout + backoff.mul_f64(1.25);
            backoff *= 2;
        }
        assert!(within_30s >= 3, "{within_30s} attempts within 30 s");
        assert!(
            policy.attempts <= 5,
            "Slack accepts at most 5 posts per response_url"
        );
    }

    #[tokio::test]
    async fn a_hook_that_refuses_the_connection_is_retried_until_it_listens() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        // A port nothing listens on, until the second retry: refused connections are surely
        // not delivered, so they are retried as often as the policy allows.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}/hooks/");
        let url = ResponseUrl::parse(&format!("{base}T1/1/abc"), std::slice::from_ref(&base))
            .expect("allowed");
        let received = Arc::new(AtomicUsize::new(0));
        let retries = AtomicUsize::new(0);
        let observe = |event: DeliveryEvent| {
            if event == DeliveryEvent::Retried && retries.fetch_add(1, Ordering::SeqCst) == 1 {
                let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
                listener.set_nonblocking(true).unwrap();
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let received = Arc::clone(&received);
                let hook = axum::Router::new().fallback(move || async move {
                    received.fetch_add(1, Ordering::SeqCst);
                    "ok"
                });
                tokio::spawn(async move { axum::serve(listener, hook).await });
            }
        };
        let policy = DeliveryPolicy {
            attempts: 4,
            first_backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(5),
        };
        let reply = Reply::ephemeral("card");
        let got = deliver_observed(&reqwest::Client::new(), &url, &reply, policy, &observe).await;
        assert!(got.is_ok(), "{got:?}");
        assert_eq!(retries.load(Ordering::SeqCst), 2);
        assert_eq!(received.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn jitter_stays_within_a_quarter_of_the_delay() {
        for _ in 0..1000 {
            let d = jitter(Duration::from_millis(1000));
            assert!((750..=1250).contains(&d.as_millis()), "{d:?}");
        }
    }
}
