using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Streaming;

/// <summary>The tensor-by-tensor writers: header first, data in header order, refusals for anything else,
/// and a temporary directory that only a commit turns into the model.</summary>
public class StreamingWriterTests
{
    static (string, ScalarType, long[])[] Specs => [("b", ScalarType.Float32, [2, 3]), ("a", ScalarType.BFloat16, [4]), ("c", ScalarType.Float16, [0])];

    [Fact]
    public void Tensors_written_one_by_one_read_back_with_the_declared_dtypes()
    {
        using var dir = new TempDir();
        using var a = arange(4, dtype: ScalarType.Float32);
        using var b = arange(6, dtype: ScalarType.Float32).reshape(2, 3).mul(0.5);
        using (var writer = SafeTensorsWriter.Create(dir["t.safetensors"], Specs))
        {
            Assert.Equal(["a", "b", "c"], writer.Entries.Select(e => e.Name));
            writer.Write("a", a);
            writer.Write("b", b);
            writer.Write("c", zeros(0));
            writer.Complete();
        }
        Assert.Equal(0, RawSafeTensors.ReadHeader(dir["t.safetensors"]).Length % 8);
        using var file = SafeTensorsFile.Open(dir["t.safetensors"]);
        using var readA = file.ReadRaw("a");
        Assert.Equal(ScalarType.BFloat16, readA.dtype);
        Assert.True(ModelAssert.BitEqual(a.to_type(ScalarType.BFloat16), readA));
        Assert.True(ModelAssert.BitEqual(b, file.ReadRaw("b")));
        Assert.Equal([0L], file.ReadRaw("c").shape);
    }

    [Fact]
    public void Out_of_order_misshapen_extra_and_missing_tensors_are_refused()
    {
        using var dir = new TempDir();
        using var writer = SafeTensorsWriter.Create(dir["t.safetensors"], Specs);
        Assert.Contains("expected tensor 'a' next, got 'b'", Assert.Throws<InvalidOperationException>(() => writer.Write("b", zeros(2, 3))).Message);
        Assert.Contains("declared [4] but is [5]", Assert.Throws<ArgumentException>(() => writer.Write("a", zeros(5))).Message);
        writer.Write("a", zeros(4));
        Assert.Contains("'b' was declared but never written", Assert.Throws<InvalidOperationException>(writer.Complete).Message);
        writer.Write("b", zeros(2, 3));
        writer.Write("c", zeros(0));
        Assert.Contains("'d' is extra", Assert.Throws<InvalidOperationException>(() => writer.Write("d", zeros(1))).Message);
    }

    [Fact]
    public void A_tensor_larger_than_one_64MB_slice_round_trips_at_every_offset()
    {
        using var dir = new TempDir();
        // 17M + 3 distinct int32s: one full 64 MB slice (16M elements) and a ragged second one, so a slice written
        // or read at the wrong storage offset shows up as misplaced values.
        long n = 17L * 1024 * 1024 + 3;
        using var big = arange(n, dtype: ScalarType.Int32);
        using (var writer = SafeTensorsWriter.Create(dir["big.safetensors"], [("big", ScalarType.Int32, [n])]))
        {
            writer.Write("big", big);
            writer.Complete();
        }
        Assert.Equal(8 + RawSafeTensors.ReadHeader(dir["big.safetensors"]).Length + n * 4, new FileInfo(dir["big.safetensors"]).Length);
        using var file = SafeTensorsFile.Open(dir["big.safetensors"]);
        using var back = file.ReadRaw("big");
        Assert.True(ModelAssert.BitEqual(big, back));
    }

    static ModelConfig Tiny => TinyModels.Gpt2().Config;

    [Fact]
    public void A_checkpoint_written_tensor_by_tensor_equals_Save_and_shards_by_size()
    {
        using var dir = new TempDir();
        var model = TinyModels.Gpt2();
        HfCheckpoint.Save(model, dir["saved"], ScalarType.BFloat16, maxShardBytes: 4096);
        var tensors = model.state_dict();
        using (var writer = CheckpointWriter.Create(dir["streamed"], model.Config, TransformerModel.ParameterShapes(model.Config), ScalarType.BFloat16, maxShardBytes: 4096))
        {
            Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), writer.Names);
            foreach (var name in writer.Names) writer.Write(name, tensors[name]);
            writer.Commit();
        }
        var files = Directory.GetFiles(dir["saved"]).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Contains(HfCheckpoint.IndexFile, files);
        Assert.True(files.Count(f => f!.EndsWith(".safetensors")) > 2);
        Assert.Equal(files, Directory.GetFiles(dir["streamed"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var f in files)
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir["saved"], f!)), File.ReadAllBytes(Path.Combine(dir["streamed"], f!)));
    }

    [Fact]
    public void An_uncommitted_checkpoint_leaves_nothing_and_commit_needs_every_tensor()
    {
        using var dir = new TempDir();
        var shapes = TransformerModel.ParameterShapes(Tiny);
        using (var writer = CheckpointWriter.Create(dir["m"], Tiny, shapes, ScalarType.Float32))
        {
            writer.Write(writer.Names[0], zeros(shapes.First(s => s.Name == writer.Names[0]).Shape));
            Assert.Contains($"'{writer.Names[1]}' was never written", Assert.Throws<InvalidOperationException>(writer.Commit).Message);
            Assert.Single(Directory.GetDirectories(dir.Path));  // the temporary directory, while writing
        }
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
