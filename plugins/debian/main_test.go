package debian_test

import (
	"testing"

	"github.com/sandlabx/fetchd/plugins/debian"
	"github.com/sandlabx/fetchd/sdk/sdktest"
)

func TestMain(m *testing.M) { sdktest.Main(m, debian.New()) }
