// A fixture app: the standard library only.
package main

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"strings"
)

func main() {
	fmt.Printf("hello from %s\n", strings.Join(strings.Split(runtime.Version(), ".")[:2], "."))
	fmt.Printf("sha256(dockfix) = %x\n", sha256.Sum256([]byte("dockfix")))
}
