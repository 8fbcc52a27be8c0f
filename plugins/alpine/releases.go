package alpine

import "github.com/sandlabx/fetchd/sdk"

// latestStable is the release that follows upstream's latest-stable
// directory.
const latestStable = "latest-stable"

// branches are the stable branches with cloud images that Describe offers,
// oldest first. End-of-support dates are those alpinelinux.org/releases
// gives for the main repository (each branch: two years).
//
// As of 2026-11-26: 3.19 to 3.22 and their dates are confirmed. 3.23
// (released 2025-12) has its date by the two-year rule *(unconfirmed)*.
// 3.24 was due 2026-05 by the May/November cadence; its existence and date
// are a guess *(unconfirmed)*. 3.25 is due around December 2026 and is not
// listed: latest-stable follows it once upstream publishes it.
var branches = []sdk.Release{
	{Name: "3.19", Aliases: []string{"v3.19"}, EOL: "2025-11-01"},
	{Name: "3.20", Aliases: []string{"v3.20"}, EOL: "2026-04-01"},
	{Name: "3.21", Aliases: []string{"v3.21"}, EOL: "2026-11-01"},
	{Name: "3.22", Aliases: []string{"v3.22"}, EOL: "2027-05-01"},
	{Name: "3.23", Aliases: []string{"v3.23"}, EOL: "2027-11-01", Summary: "EOL date by the two-year rule (unconfirmed)"},
	{Name: "3.24", Aliases: []string{"v3.24"}, EOL: "2028-05-01", Summary: "release and EOL date assumed from the cadence (unconfirmed)"},
}

// releases returns latest-stable followed by the branches, newest first.
func releases() []sdk.Release {
	out := []sdk.Release{{Name: latestStable, Summary: "the newest stable branch, as upstream's latest-stable directory says"}}
	for i := len(branches) - 1; i >= 0; i-- {
		out = append(out, branches[i])
	}
	return out
}

func isBranch(name string) bool {
	for _, b := range branches {
		if b.Name == name {
			return true
		}
	}
	return false
}
