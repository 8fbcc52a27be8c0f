package api

import "os"

func unixGetuid() int { return os.Getuid() }
