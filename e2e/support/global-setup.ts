/** Times the whole browser-test run and prints it as one JSON line, for CI logs and trend tracking. */
export default function setup(): () => void {
  const started = performance.now();
  return () => {
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    process.stdout.write(`${JSON.stringify({ e2e_seconds: seconds })}\n`);
  };
}
