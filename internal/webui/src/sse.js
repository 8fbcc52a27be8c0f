// Server-sent events over fetch(): EventSource cannot send the
// Authorization header, so the stream is read and parsed here (the
// text/event-stream format: field lines, a blank line ends an event).

export class Parser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buf = '';
    this.reset();
  }

  reset() {
    this.id = '';
    this.type = '';
    this.data = [];
  }

  // push takes the next chunk of text; it may end in the middle of a line.
  push(chunk) {
    this.buf += chunk;
    let i;
    while ((i = this.buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buf.slice(0, i);
      const nl = this.buf.startsWith('\r\n', i) ? 2 : 1;
      this.buf = this.buf.slice(i + nl);
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      if (this.data.length > 0) {
        this.onEvent({ id: this.id, type: this.type || 'message', data: this.data.join('\n') });
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) return;
    const c = line.indexOf(':');
    const field = c < 0 ? line : line.slice(0, c);
    let value = c < 0 ? '' : line.slice(c + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'id': this.id = value; break;
      case 'event': this.type = value; break;
      case 'data': this.data.push(value); break;
      default: break; // retry and unknown fields: nothing to do
    }
  }
}

// stream reads GET /v1/events after the event id `after`, calling onEvent
// for each event, until the stream ends or signal aborts. It returns the
// last event id seen.
export async function stream(url, headers, after, onEvent, signal) {
  let last = after;
  const h = new Headers(headers);
  h.set('Last-Event-ID', String(after));
  h.set('Accept', 'text/event-stream');
  const res = await fetch(url, { headers: h, signal, cache: 'no-store' });
  if (!res.ok) {
    let msg = res.status + ' ' + res.statusText;
    try { msg = (await res.json()).error || msg; } catch { /* not JSON */ }
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  const p = new Parser((ev) => {
    if (ev.id) last = Number(ev.id);
    onEvent(ev);
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    p.push(value);
  }
  return last;
}
