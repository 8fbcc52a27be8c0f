package pluginhost

import (
	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/internal/wire"
	"github.com/sandlabx/fetchd/sdk"
)

// The host reads plugin answers with sdk's converters (sdk/convert.go),
// the only ones: see internal/wire/bridge.go.
var (
	describeFromProto = wire.DescribeFromProto.(func(*sourcev1.DescribeResponse) sdk.Description)
	artifactFromProto = wire.ArtifactFromProto.(func(*sourcev1.Artifact) sdk.Artifact)
)
