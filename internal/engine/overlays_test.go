package engine

import (
	"errors"
	"testing"

	"github.com/sandlabx/fetchd/internal/overlay"
)

func TestChooseMove(t *testing.T) {
	one := nameUsers{overlays: []overlay.Overlay{{Path: "/o/vm1.qcow2"}}}
	unread := nameUsers{unread: []overlay.Problem{{Path: "/o/bad.qcow2", Err: errors.New("malformed")}}}
	for _, tc := range []struct {
		name  string
		users nameUsers
		opts  MoveOptions
		want  moveChoice
	}{
		{"nobody uses the name", nameUsers{}, MoveOptions{}, moveFree},
		{"nobody, force", nameUsers{}, MoveOptions{Force: true}, moveFree},
		{"an overlay: held", one, MoveOptions{}, moveHold},
		{"an overlay, rebase", one, MoveOptions{Rebase: true}, moveRebase},
		{"an overlay, force", one, MoveOptions{Force: true}, moveForce},
		{"force wins over rebase", one, MoveOptions{Rebase: true, Force: true}, moveForce},
		{"an unreadable disk: held", unread, MoveOptions{}, moveHold},
		{"an unreadable disk cannot be rebased", unread, MoveOptions{Rebase: true}, moveHold},
		{"an unreadable disk, force", unread, MoveOptions{Force: true}, moveForce},
	} {
		if got := chooseMove(tc.users, tc.opts); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
