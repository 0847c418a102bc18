// Drives the GraphiQL page in a real headless Chromium (Debian's, through playwright-core) with every request to
// another origin refused, as on a network without internet: the page loads, a query runs with an Authorization
// header typed in the headers pane, the documentation of a type shows, and a subscription receives a message.
// Usage: node graphiql.mjs '{"url": "http://127.0.0.1:port", "token": "...", "chromium": "/usr/bin/chromium"}'.
// Prints one JSON line per step; the caller triggers the change the subscription waits for after "subscribed".
import { chromium } from 'playwright-core';

const { url, token, chromium: executablePath } = JSON.parse(process.argv[2]);
const say = (step) => console.log(JSON.stringify(step));
const origin = new URL(url).origin;
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const context = await browser.newContext();
  const elsewhere = [];
  await context.route('**/*', (route) => {
    const target = new URL(route.request().url());
    if (target.origin === origin) return route.continue();
    elsewhere.push(target.href);
    return route.abort();
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${url}/graphql`);
  await page.waitForSelector('.graphiql-container', { timeout: 20000 });
  say({ type: 'loaded', elsewhere, errors });

  // CodeMirror 5 editors expose their instance on the wrapper element.
  const setEditor = (selector, text) =>
    page.evaluate(([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text), [selector, text]);
  const response = () => page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue());
  const waitForResponse = async (needle) => {
    for (let i = 0; i < 200; i += 1) {
      const text = await response();
      if (text.includes(needle)) return text;
      await page.waitForTimeout(100);
    }
    return response();
  };

  await page.getByRole('button', { name: 'Headers' }).click();
  await setEditor('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror', JSON.stringify({ Authorization: `Bearer ${token}` }));
  await setEditor('.graphiql-query-editor .CodeMirror', '{ viewer { authenticated subject } }');
  await page.locator('.graphiql-execute-button').click();
  say({ type: 'query', response: await waitForResponse('authenticated') });

  await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
  await page.locator('.graphiql-doc-explorer-search input').fill('ResourceRequest');
  await page.locator('.graphiql-doc-explorer-search [role="option"]').filter({ hasText: /^ResourceRequest$/ }).first().click();
  await page.waitForSelector('.graphiql-doc-explorer-title');
  say({
    type: 'docs',
    title: await page.locator('.graphiql-doc-explorer-title').innerText(),
    text: (await page.locator('.graphiql-doc-explorer-content').innerText()).slice(0, 2000),
  });

  await setEditor('.graphiql-query-editor .CodeMirror', 'subscription Live { statusChanges { sequence event { recordType action } } }');
  // GraphiQL parses the edited document after a short pause; it routes a subscription to the WebSocket only then.
  await page.waitForTimeout(1000);
  await page.locator('.graphiql-execute-button').click();
  await page.waitForTimeout(1500);
  say({ type: 'subscribed' });
  say({ type: 'subscription', response: await waitForResponse('sequence') });
  say({ type: 'done', errors, elsewhere });
} finally {
  await browser.close();
}
