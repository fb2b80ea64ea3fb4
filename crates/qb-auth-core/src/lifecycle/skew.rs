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
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// The offset in seconds: positive when the server is ahead.
    pub const fn as_secs(self) -> i64 {
        self.0
    }

    /// Measures `server_date` (an answer's `Date`) against `local_now`,
    /// rounded to the nearest second. `Date` has whole seconds only, so the
    /// server's clock read somewhere in `[Date, Date + 1 s)`: the middle of
    /// that second is the estimate, which makes clocks in step measure 0
    /// rather than -1 half of the time.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use qb_auth_core::lifecycle::ClockSkew;
    ///
    /// let local = UNIX_EPOCH + Duration::from_millis(1_700_000_000_700);
    /// let server = UNIX_EPOCH + Duration::from_secs(1_699_999_940);
    /// assert_eq!(ClockSkew::measure(server, local).as_secs(), -60);
    /// // In step: the server's Date is the current whole second.
    /// let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_900);
    /// assert_eq!(ClockSkew::measure(UNIX_EPOCH + Duration::from_secs(1_700_000_000), now).as_secs(), 0);
    /// ```
    pub fn measure(server_date: SystemTime, local_now: SystemTime) -> Self {
        let millis = match server_date.duration_since(local_now) {
            Ok(ahead) => i128::try_from(ahead.as_millis()).unwrap_or(i128::MAX / 2),
            Err(behind) => -i128::try_from(behind.duration().as_millis()).unwrap_or(i128::MAX / 2),
        };
        // Half a second for the middle of the Date's second, then round to
        // the nearest second, halves towards the Date (so a local clock on a
        // whole second and a Date exactly N seconds away measure N).
        let secs = (millis + 500 + 499).div_euclid(1000);
        Self(i64::try_from(secs).unwrap_or(if secs > 0 { i64::MAX } else { i64::MIN }))
    }

    /// Like [`ClockSkew::measure`], but `None` when the offset is larger
    /// than `max`: a `Date` that far off is more likely a broken proxy or a
    /// cached answer than the server's clock, and believing it would make
    /// every signature fail.
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
    pub fn to_server(self, local: SystemTime) -> SystemTime {
        shift(local, self.0)
    }

    /// What our clock reads when the server's reads `server`: how to read a
    /// server time such as `QB-Token-ExpirationDate`.
    pub fn to_local(self, server: SystemTime) -> SystemTime {
        shift(server, self.0.saturating_neg())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn measures_from_the_middle_of_the_date_second() {
        let date = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
        let local = |millis: u64| UNIX_EPOCH + Duration::from_millis(millis);
        // Clocks in step: Date is the whole second local time is in.
        assert_eq!(ClockSkew::measure(date(10), local(10_100)).as_secs(), 0);
        assert_eq!(ClockSkew::measure(date(10), local(10_900)).as_secs(), 0);
        // Behind and ahead, rounded to the nearest second.
        assert_eq!(ClockSkew::measure(date(10), local(11_600)).as_secs(), -1);
        assert_eq!(ClockSkew::measure(date(12), local(10_400)).as_secs(), 2);
    }

    #[test]
    fn bound_is_inclusive() {
        // Half a second past the local second, so whole-second Dates measure exactly.
        let local = UNIX_EPOCH + Duration::from_millis(1_000_000_500);
        let max = Duration::from_secs(100);
        let at = |secs: i64| {
            let date = shift(UNIX_EPOCH + Duration::from_secs(1_000_000), secs);
            ClockSkew::measure_bounded(date, local, max)
        };
        assert_eq!(at(0), Some(ClockSkew::ZERO));
        assert_eq!(at(100), Some(ClockSkew::from_secs(100)));
        assert_eq!(at(-100), Some(ClockSkew::from_secs(-100)));
        assert_eq!(at(101), None);
        assert_eq!(at(-101), None);
    }
}
