namespace Subclone.Models;

/// <summary>
/// Refuses a model that cannot be held or written before the first byte is allocated: a config typed with one zero
/// too many (hidden 1048576 × 1000 layers is 13 trillion parameters) should be one line, not an allocation of
/// terabytes or a disk filled to the last block.
/// </summary>
public static class ModelBudget
{
    /// <summary>Parameters of <paramref name="config"/>, from its parameter table.</summary>
    public static long Parameters(ModelConfig config) => TransformerModel.ParameterShapes(config).Sum(p => p.ElementCount);

    /// <summary>Refuses a model whose float32 weights exceed the memory available to the process.</summary>
    public static void RequireMemory(ModelConfig config, string origin)
    {
        long parameters = Parameters(config);
        RequireMemory(parameters * 4.0, $"{origin}: {parameters:N0} parameters need {Gigabytes(parameters * 4.0)} as float32");
    }

    /// <summary>Refuses <paramref name="bytes"/> of memory when more than the process has available.</summary>
    public static void RequireMemory(double bytes, string what)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available) throw new UserInputException($"{what}, more than the {Gigabytes(available)} of memory available");
    }

    /// <summary>Refuses writing <paramref name="bytes"/> under <paramref name="directory"/> when its file system has less free space.</summary>
    public static void RequireDisk(double bytes, string directory)
    {
        string? existing = Path.GetFullPath(directory);
        while (existing is not null && !Directory.Exists(existing)) existing = Path.GetDirectoryName(existing);
        if (existing is null) return;
        long free;
        try { free = new DriveInfo(existing).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { return; }  // unknown: let the write tell
        if (bytes > free)
            throw new UserInputException($"{directory}: the weights need {Gigabytes(bytes)} but its file system has {Gigabytes(free)} free");
    }

    static string Gigabytes(double bytes) => bytes >= 1e9 ? $"{bytes / 1e9:N1} GB" : $"{bytes / 1e6:N1} MB";
}
