using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Checkpoints;

/// <summary>A directory that is not a whole checkpoint: the error says what is missing, and where.</summary>
public sealed class MissingFilesTests : IDisposable
{
    readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    static CheckpointException Rejected(string dir, string path, string problem)
    {
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(dir));
        Assert.Equal(path, e.Path);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(problem, e.Message);
        return e;
    }

    string Sharded()
    {
        string dir = _temp["sharded"];
        HfCheckpoint.Save(TinyModels.Gpt2(), dir, ScalarType.Float32, maxShardBytes: 4096);
        Assert.True(HfCheckpoint.Load(dir).Model is not null);  // intact before each test edits it
        return dir;
    }

    string IndexPath(string dir) => Path.Combine(dir, HfCheckpoint.IndexFile);

    void EditIndex(string dir, Action<JsonObject> edit)
    {
        var index = (JsonObject)JsonNode.Parse(File.ReadAllText(IndexPath(dir)))!;
        edit(index);
        File.WriteAllText(IndexPath(dir), index.ToJsonString());
    }

    [Fact]
    public void No_directory()
    {
        string dir = _temp["absent"];
        Rejected(dir, dir, "is not a directory");
    }

    [Fact]
    public void A_file_instead_of_a_directory()
    {
        string file = _temp["model.safetensors"];
        File.WriteAllText(file, "");
        Rejected(file, file, "is not a directory");
    }

    [Fact]
    public void No_config()
    {
        string dir = _temp["model"];
        HfCheckpoint.Save(TinyModels.Gpt2(), dir, ScalarType.Float32);
        File.Delete(Path.Combine(dir, HfCheckpoint.ConfigFile));
        Rejected(dir, dir, "has no config.json");
    }

    [Fact]
    public void No_weights()
    {
        string dir = _temp["model"];
        HfCheckpoint.Save(TinyModels.Gpt2(), dir, ScalarType.Float32);
        File.Delete(Path.Combine(dir, HfCheckpoint.SingleFile));
        File.WriteAllText(Path.Combine(dir, "pytorch_model.bin"), "");
        Rejected(dir, dir, "has neither model.safetensors nor model.safetensors.index.json");
    }

    [Fact]
    public void Index_listing_a_shard_that_does_not_exist()
    {
        string dir = Sharded();
        string shard = Path.GetFileName(Directory.GetFiles(dir, "model-*.safetensors").Order(StringComparer.Ordinal).Last());
        File.Delete(Path.Combine(dir, shard));
        Rejected(dir, IndexPath(dir), $"lists shard '{shard}', which does not exist");
    }

    [Theory]
    [InlineData("../outside.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData(".hidden.safetensors")]
    public void Index_naming_a_shard_outside_the_directory(string shard)
    {
        string dir = Sharded();
        EditIndex(dir, index => index["weight_map"]!["transformer.wte.weight"] = shard);
        Rejected(dir, IndexPath(dir), $"shard name '{shard}' is not a plain file name");
    }

    [Fact]
    public void Index_that_is_not_JSON()
    {
        string dir = Sharded();
        File.WriteAllText(IndexPath(dir), "{\"weight_map\": ");
        Rejected(dir, IndexPath(dir), "is not a valid index");
    }

    [Fact]
    public void Index_without_a_weight_map()
    {
        string dir = Sharded();
        EditIndex(dir, index => index.Remove("weight_map"));
        Rejected(dir, IndexPath(dir), "has no weight_map object");
    }

    [Fact]
    public void Index_whose_weight_map_names_a_number()
    {
        string dir = Sharded();
        EditIndex(dir, index => index["weight_map"]!["transformer.wte.weight"] = 5);
        Rejected(dir, IndexPath(dir), "weight_map entry 'transformer.wte.weight' is 5, not a file name");
    }

    [Fact]
    public void Index_with_an_empty_weight_map()
    {
        string dir = Sharded();
        EditIndex(dir, index => index["weight_map"] = new JsonObject());
        Rejected(dir, IndexPath(dir), "is missing tensor");
    }
}
