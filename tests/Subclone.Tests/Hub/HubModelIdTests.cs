using Subclone.Checkpoints;
using Subclone.Checkpoints.Hub;

namespace Subclone.Tests.Hub;

/// <summary>Which MODEL arguments are Hub ids, and what they name.</summary>
public class HubModelIdTests
{
    [Theory]
    [InlineData("gpt2", "gpt2", "main", "models--gpt2")]
    [InlineData("HuggingFaceTB/SmolLM2-360M", "HuggingFaceTB/SmolLM2-360M", "main", "models--HuggingFaceTB--SmolLM2-360M")]
    [InlineData("Qwen/Qwen2.5-0.5B@v1.0", "Qwen/Qwen2.5-0.5B", "v1.0", "models--Qwen--Qwen2.5-0.5B")]
    [InlineData("org/name@refs/pr/1", "org/name", "refs/pr/1", "models--org--name")]
    [InlineData("org/name@0123456789abcdef0123456789abcdef01234567", "org/name", "0123456789abcdef0123456789abcdef01234567", "models--org--name")]
    public void Parses_hub_ids(string spec, string repo, string revision, string folder)
    {
        Assert.True(HubModelId.TryParse(spec, out var id));
        Assert.Equal(repo, id.RepoId);
        Assert.Equal(revision, id.Revision);
        Assert.Equal(folder, id.CacheFolderName);
        Assert.Equal(spec, id.ToString());
    }

    [Theory]
    [InlineData("/abs/path")]
    [InlineData("./model")]
    [InlineData("../model")]
    [InlineData("a/b/c")]
    [InlineData("org--x/name")]
    [InlineData("org/na..me")]
    [InlineData("-org/name")]
    [InlineData("org/name-")]
    [InlineData("org/name@")]
    [InlineData("org/name@../../etc")]
    [InlineData("org/name@/abs")]
    [InlineData("stories260K.bin")]
    [InlineData("model.safetensors")]
    [InlineData("")]
    [InlineData("with space/x")]
    public void Rejects_what_is_not_a_hub_id(string spec)
    {
        Assert.False(HubModelId.TryParse(spec, out _));
    }

    [Fact]
    public void Only_a_full_commit_hash_is_a_commit()
    {
        Assert.True(new HubModelId("x", "0123456789abcdef0123456789abcdef01234567").RevisionIsCommit);
        Assert.False(new HubModelId("x", "0123456").RevisionIsCommit);
        Assert.False(new HubModelId("x", "main").RevisionIsCommit);
    }

    [Fact]
    public void A_local_directory_wins_over_a_hub_id_of_the_same_name()
    {
        string name = "hub-id-like-" + Guid.NewGuid().ToString("N")[..8];
        Assert.NotNull(ModelSource.HubIdOf(name));
        Directory.CreateDirectory(name);
        try
        {
            Assert.Null(ModelSource.HubIdOf(name));
        }
        finally
        {
            Directory.Delete(name);
        }
        Assert.Null(ModelSource.HubIdOf("minilm"));
    }
}
