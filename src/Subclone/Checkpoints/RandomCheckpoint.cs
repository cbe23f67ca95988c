using System.Text;
using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>
/// Writes a randomly initialised Hugging Face checkpoint of a config without ever building the model: names and
/// shapes come from <see cref="TransformerModel.ParameterShapes"/>, each tensor is generated with Hugging Face's
/// rule for it (<see cref="TransformerModel.InitFor"/>), written, and freed before the next. Each tensor has its
/// own generator, seeded from the seed and the tensor's name, so the weights do not depend on the shard size or
/// on which tensors come before it. (They differ from <see cref="TransformerModel.Create(ModelConfig, long)"/>, which draws
/// every parameter from one generator in turn.)
/// </summary>
public static class RandomCheckpoint
{
    /// <summary>Writes the checkpoint; returns its parameter count.</summary>
    public static long Write(ModelConfig config, string directory, ScalarType dtype, long seed, long maxShardBytes = CheckpointWriter.DefaultShardBytes,
        bool overwrite = false, IProgress<(int Done, int Total)>? progress = null)
    {
        var shapes = TransformerModel.ParameterShapes(config).ToDictionary(s => s.Name, StringComparer.Ordinal);
        // One tensor is in memory at a time (as float32, then converted): the largest must fit.
        var largest = shapes.Values.MaxBy(s => s.ElementCount)!;
        ModelBudget.RequireMemory(largest.ElementCount * 4.0, $"{largest.Name} has {largest.ElementCount:N0} elements ({largest.ElementCount * 4.0 / 1e9:N1} GB as float32)");
        using var writer = CheckpointWriter.Create(directory, config, shapes.Values, dtype, overwrite, maxShardBytes);
        int done = 0;
        foreach (string name in writer.Names)
        {
            using (var scope = NewDisposeScope())
            {
                var tensor = empty(shapes[name].Shape, ScalarType.Float32);
                using var generator = new Generator(TensorSeed(seed, name));
                TransformerModel.InitFor(config, name).Apply(tensor, generator);
                writer.Write(name, tensor);
            }
            progress?.Report((++done, writer.Names.Count));
        }
        writer.Commit();
        return shapes.Values.Sum(s => s.ElementCount);
    }

    /// <summary>A generator seed for one tensor: FNV-1a of its name mixed with the run's seed by SplitMix64.</summary>
    public static ulong TensorSeed(long seed, string name)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(name)) { hash ^= b; hash *= 1099511628211UL; }
        ulong z = (ulong)seed ^ hash;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
