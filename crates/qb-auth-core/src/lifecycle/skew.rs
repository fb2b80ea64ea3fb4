//! The offset between the server's clock and ours.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::nonce::shift;

/// How far the server's clock is ahead of ours (negative: behind), in whole
/// seconds.
///
/// QuickBlox rejects a create-session whose timestamp is more than an hour
/// from its clock ("Bad timestamp"), and writes `QB-Token-ExpirationDate` in
/// its own time. Both are wall-clock times, so the offset is measured from
/// an answer's `Date` header against the local [`SystemTime`] and applied to
/// the next signing time. No other client corrects for this.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use qb_auth_core::lifecycle::ClockSkew;
///
/// let local = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let server = local + Duration::from_secs(90 * 60);
/// let skew = ClockSkew::measure(server, local);
/// assert_eq!(skew.as_secs(), 5400);
/// assert_eq!(skew.to_server(local), server);
/// assert_eq!(skew.to_local(server), local);
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct ClockSkew(i64);

impl ClockSkew {
    /// No offset: the clocks agree.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::ClockSkew;
    ///
    /// assert_eq!(ClockSkew::ZERO, ClockSkew::default());
    /// ```
    pub const ZERO: Self = Self(0);

    /// An offset of `secs` seconds (server minus local).
    ///
    /// ```
    /// use qb_auth_core::lifecycle::ClockSkew;
    ///
    /// assert_eq!(ClockSkew::from_secs(-30).as_secs(), -30);
    /// ```
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// The offset in seconds: positive when the server is ahead.
    ///
    /// ```
    /// use qb_auth_core::lifecycle::ClockSkew;
    ///
    /// assert_eq!(ClockSkew::from_secs(7).as_secs(), 7);
    /// ```
    pub const fn as_secs(self) -> i64 {
        self.0
    }

    /// Measures `server_date` (an answer's `Date`) against `local_now`,
    /// rounded to the nearest second (`Date` has whole seconds only).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use qb_auth_core::lifecycle::ClockSkew;
    ///
    /// let local = UNIX_EPOCH + Duration::from_millis(1_700_000_000_700);
    /// let server = UNIX_EPOCH + Duration::from_secs(1_699_999_940);
    /// assert_eq!(ClockSkew::measure(server, local).as_secs(), -61);
    /// ```
    pub fn measure(server_date: SystemTime, local_now: SystemTime) -> Self {
        let millis = match server_date.duration_since(local_now) {
            Ok(ahead) => i128::try_from(ahead.as_millis()).unwrap_or(i128::MAX),
            Err(behind) => -i128::try_from(behind.duration().as_millis()).unwrap_or(i128::MAX),
        };
        // Round half away from zero, then saturate into i64.
        let secs = (millis + if millis >= 0 { 500 } else { -500 }) / 1000;
        Self(i64::try_from(secs).unwrap_or(if secs > 0 { i64::MAX } else { i64::MIN }))
    }

    /// Like [`ClockSkew::measure`], but `None` when the offset is larger
    /// than `max`: a `Date` that far off is more likely a broken proxy or a
    /// cached answer than the server's clock, and believing it would make
    /// every signature fail.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use qb_auth_core::lifecycle::ClockSkew;
    ///
    /// let local = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let day = Duration::from_secs(86_400);
    /// assert!(ClockSkew::measure_bounded(local + Duration::from_secs(60), local, day).is_some());
    /// assert!(ClockSkew::measure_bounded(local + 2 * day, local, day).is_none());
    /// ```
    pub fn measure_bounded(
        server_date: SystemTime,
        local_now: SystemTime,
        max: Duration,
    ) -> Option<Self> {
        let skew = Self::measure(server_date, local_now);
        (skew.0.unsigned_abs() <= max.as_secs()).then_some(skew)
    }

    /// What the server's clock reads when ours reads `local`: the time to
    /// sign with.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use qb_auth_core::lifecycle::ClockSkew;
    ///
    /// let local = UNIX_EPOCH + Duration::from_secs(1000);
    /// assert_eq!(ClockSkew::from_secs(-10).to_server(local), UNIX_EPOCH + Duration::from_secs(990));
    /// ```
    pub fn to_server(self, local: SystemTime) -> SystemTime {
        shift(local, self.0)
    }

    /// What our clock reads when the server's reads `server`: how to read a
    /// server time such as `QB-Token-ExpirationDate`.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use qb_auth_core::lifecycle::ClockSkew;
    ///
    /// let server = UNIX_EPOCH + Duration::from_secs(1000);
    /// assert_eq!(ClockSkew::from_secs(-10).to_local(server), UNIX_EPOCH + Duration::from_secs(1010));
    /// ```
    pub fn to_local(self, server: SystemTime) -> SystemTime {
        shift(server, self.0.saturating_neg())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn rounds_to_nearest_second_both_ways() {
        let local = UNIX_EPOCH + Duration::from_millis(10_400);
        assert_eq!(
            ClockSkew::measure(UNIX_EPOCH + Duration::from_secs(10), local).as_secs(),
            0
        );
        let local = UNIX_EPOCH + Duration::from_millis(10_600);
        assert_eq!(
            ClockSkew::measure(UNIX_EPOCH + Duration::from_secs(10), local).as_secs(),
            -1
        );
        assert_eq!(
            ClockSkew::measure(UNIX_EPOCH + Duration::from_secs(12), local).as_secs(),
            1
        );
    }

    #[test]
    fn bound_is_inclusive() {
        let local = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let max = Duration::from_secs(100);
        let at = |secs: i64| ClockSkew::measure_bounded(shift(local, secs), local, max);
        assert_eq!(at(100), Some(ClockSkew::from_secs(100)));
        assert_eq!(at(-100), Some(ClockSkew::from_secs(-100)));
        assert_eq!(at(101), None);
        assert_eq!(at(-101), None);
    }
}
