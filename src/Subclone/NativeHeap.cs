using System.Runtime.InteropServices;

namespace Subclone;

/// <summary>
/// Hands memory libtorch has freed back to the operating system. glibc keeps freed blocks smaller than its mmap
/// threshold (at most 32 MB) in its heaps for reuse, and a streaming pass that frees one parent block and then
/// allocates the next leaves them behind block after block: activations and small weights added up to 1.2 GB of
/// resident memory over a 32-block parent, more than the block itself. malloc_trim releases them. A no-op where
/// glibc's malloc_trim does not exist (macOS, Windows, musl).
/// </summary>
internal static class NativeHeap
{
    static bool _unavailable = !OperatingSystem.IsLinux();

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    public static void Trim()
    {
        if (_unavailable) return;
        try { MallocTrim(0); }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { _unavailable = true; }
    }
}
