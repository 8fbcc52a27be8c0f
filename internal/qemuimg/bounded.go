package qemuimg

// boundedBuffer keeps the first max bytes written to it and drops the rest,
// noting that it did. It never fails a write, so the child is not stopped
// by a broken pipe halfway; the timeout bounds how long it may write.
type boundedBuffer struct {
	max       int
	buf       []byte
	truncated bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	room := b.max - len(b.buf)
	if len(p) > room {
		b.truncated = true
		p2 := p[:max(room, 0)]
		b.buf = append(b.buf, p2...)
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *boundedBuffer) Bytes() []byte { return b.buf }
