using Subclone.Checkpoints;

namespace Subclone.Fuzz;

/// <summary>A .safetensors file: the header is parsed and checked, then every tensor read and converted to float32.</summary>
internal static class SafeTensorsTarget
{
    public static FuzzTarget Target { get; } = new("safetensors", "model.safetensors", Run);

    static bool Run(byte[] input)
    {
        using var scratch = new Scratch();
        string path = scratch.Write("model.safetensors", input);
        return Refusal.Accepts(scratch, () =>
        {
            using var file = SafeTensorsFile.Open(path);
            foreach (var entry in file.Entries)
            {
                using var tensor = file.ReadFloat32(entry.Name);
            }
        });
    }
}
