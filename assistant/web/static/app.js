// A citation's link points at a clause anchor in the policy tab, a library entry at its policy.
// Tabs render their content only once opened, so open the tab first, then wait for the anchor.
// A link with a path before its anchor (a large library's policy page) is left to the browser.
(function () {
  function policyTabButton() {
    return Array.from(document.querySelectorAll('button[role="tab"]'))
      .find(function (b) { return b.textContent.indexOf('政策原文') !== -1; });
  }
  function reveal(id, triesLeft) {
    var clause = document.getElementById(id);
    if (clause && clause.offsetParent !== null) {
      clause.scrollIntoView({ block: 'center' });
      clause.classList.add('flash');
      setTimeout(function () { clause.classList.remove('flash'); }, 2500);
    } else if (triesLeft > 0) {
      setTimeout(function () { reveal(id, triesLeft - 1); }, 100);
    }
  }
  document.addEventListener('click', function (event) {
    var link = event.target.closest ? event.target.closest('a[href^="#clause-"], a[href^="#policy-"]') : null;
    if (!link) { return; }
    event.preventDefault();
    event.stopPropagation();
    var id = decodeURIComponent(link.getAttribute('href').split('#')[1]);
    var tab = policyTabButton();
    if (tab) { tab.click(); }
    reveal(id, 50);
  }, true);
})();
