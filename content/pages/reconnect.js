// When a page's live connection closes, how long it waits before connecting again: a little longer after each
// failed attempt, and never the same for two pages, so that thousands of kiosks and phones dropped at once by a
// restarting server do not all come back in the same instant. A server that answers 1013 (Try Again Later) is
// overloaded: its clients wait at least two seconds.
(function () {
  "use strict";
  const TRY_AGAIN_LATER = 1013;
  window.reconnectDelay = function (attempt, code) {
    const least = code === TRY_AGAIN_LATER ? 2000 : 500;
    const most = Math.min(least * Math.pow(2, Math.min(attempt, 6)), 30000);
    return most / 2 + Math.random() * most / 2;  // half fixed, half random: never at once, never in step
  };
})();
