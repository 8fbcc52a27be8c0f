package wire

// What package sdk lends fetchd's own packages without making it public
// API. The proto <-> Go converters and the table of error codes live once,
// in package sdk, next to the types they convert (sdk cannot import a
// package that imports sdk, and the types must stay in sdk, where authors
// read them). sdk sets these at initialization; internal/pluginhost,
// cmd/fetchd and the test helpers take them, asserting the function type
// they expect once when they are initialized (a mismatch panics at start,
// in every test), so nothing of it appears in sdk's documentation.
//
//	DescribeToProto   func(sdk.Description) *sourcev1.DescribeResponse
//	DescribeFromProto func(*sourcev1.DescribeResponse) sdk.Description
//	ArtifactToProto   func(sdk.Artifact) *sourcev1.Artifact
//	ArtifactFromProto func(*sourcev1.Artifact) sdk.Artifact
//	CodeOfKind        func(kind error) codes.Code (the code an sdk.Err* kind travels as)
//	ServeBuiltin      func(src sdk.Source, args []string) (does not return)
var (
	DescribeToProto   any
	DescribeFromProto any
	ArtifactToProto   any
	ArtifactFromProto any
	CodeOfKind        any
	ServeBuiltin      any
)
