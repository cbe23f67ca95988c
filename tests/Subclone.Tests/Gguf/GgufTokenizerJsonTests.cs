using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;
using static TorchSharp.torch;
using Subclone.Reference;

namespace Subclone.Tests.Gguf;

/// <summary>
/// Models that ship only a tokenizer.json: the real Llama 3 and Qwen3 files, beside a tiny random model of their
/// vocabulary size, export as llama.cpp GPT-2 BPE vocabularies that tokenize Hugging Face's test texts to HF's ids
/// (../shared/fixtures/tokenizers/expected.json) and Subclone's; SentencePiece-style files are refused.
/// </summary>
public class GgufTokenizerJsonTests
{
    /// <summary>A random <paramref name="modelType"/> model with the tokenizer's vocabulary, its tokenizer files beside it.</summary>
    static string TinyModelWith(TempDir dir, string tokenizer, string modelType)
    {
        int vocab = RealTokenizers.Load(tokenizer).VocabSize;
        File.WriteAllText(dir["config.json"], $$"""
            {"model_type":"{{modelType}}","hidden_size":16,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":8,
             "num_hidden_layers":1,"intermediate_size":32,"vocab_size":{{vocab}},"max_position_embeddings":64,"rms_norm_eps":1e-6,
             "hidden_act":"silu","tie_word_embeddings":true}
            """);
        var model = TransformerModel.Create(ModelConfig.Load(dir["config.json"]));
        HfCheckpoint.Save(model, dir["model"], ScalarType.Float32);
        foreach (string file in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(RealTokenizers.Directory(tokenizer), file), Path.Combine(dir["model"], file), overwrite: true);
        return dir["model"];
    }

    [RealTokenizerTheory]
    [InlineData("llama3", "llama", "llama-bpe")]
    [InlineData("qwen3", "qwen3", "qwen2")]
    public void Tokenizer_json_vocabulary_tokenizes_as_hf_and_subclone(string tokenizer, string modelType, string pre)
    {
        using var dir = new TempDir();
        string model = TinyModelWith(dir, tokenizer, modelType);
        var result = CliRunner.Run("export", model, "--gguf", dir["m.gguf"]);
        Assert.True(result.ExitCode == 0, result.Error);
        var subclone = RealTokenizers.Load(tokenizer);  // the file beside the model, loaded once per run
        using var llama = new LlamaCpp(dir["m.gguf"]);
        Assert.Equal(pre, llama.Weights.Metadata["tokenizer.ggml.pre"]);
        if (subclone.EosId is int eos) Assert.Equal(eos, (int)llama.Weights.Vocab.EOS!.Value);
        int checkedCases = 0;
        // llama.cpp promotes end-of-generation-looking vocabulary tokens ("</s>", "<|im_end|>"…) to control tokens when
        // it loads any vocabulary, and then matches their text as special; in Qwen's vocabulary "</s>" is a plain token
        // HF splits like any text, so a text spelling it out is tokenized differently by llama.cpp whatever the file says.
        foreach (var c in RealTokenizers.Cases(tokenizer).Where(c => !(tokenizer == "qwen3" && c.Text.Contains("</s>"))))
        {
            // HF matches added tokens' text (<|endoftext|>) in any input; with special tokens, its ids have whatever its post-processor adds (a BOS or nothing): llama.cpp's add_bos_token must agree.
            if (!c.AddSpecialTokens) Assert.Equal(c.Ids, subclone.Encode(c.Text));
            Assert.Equal(c.Ids, llama.Tokenize(c.Text, addBos: c.AddSpecialTokens, special: true));
            checkedCases++;
        }
        Assert.True(checkedCases >= 10, $"{checkedCases} texts");
    }

    /// <summary>
    /// OLMo 2's and DBRX's tokenizer is GPT-4's regex with merges always applied, which the converter names "dbrx":
    /// Llama 3's file with ignore_merges off is that tokenizer, and llama.cpp's "dbrx" tokenizes it as Subclone does.
    /// </summary>
    [RealTokenizerFact]
    public void Gpt4_regex_without_ignore_merges_is_dbrx()
    {
        using var dir = new TempDir();
        string model = TinyModelWith(dir, "llama3", "llama");
        string file = Path.Combine(model, "tokenizer.json");
        string text = File.ReadAllText(file);
        Assert.Contains("\"ignore_merges\": true", text);
        File.WriteAllText(file, text.Replace("\"ignore_merges\": true", "\"ignore_merges\": false"));
        var result = CliRunner.Run("export", model, "--gguf", dir["m.gguf"]);
        Assert.True(result.ExitCode == 0, result.Error);
        var subclone = ModelSource.Load(model).Tokenizer!;
        using var llama = new LlamaCpp(dir["m.gguf"]);
        Assert.Equal("dbrx", llama.Weights.Metadata["tokenizer.ggml.pre"]);
        foreach (var c in RealTokenizers.Cases("llama3").Where(c => !c.AddSpecialTokens))
            Assert.Equal(subclone.Encode(c.Text), llama.Tokenize(c.Text, addBos: false, special: true));
    }

    [RealTokenizerTheory]
    [InlineData("llama2")]
    public void SentencePiece_style_tokenizer_json_is_refused(string tokenizer)
    {
        using var dir = new TempDir();
        string model = TinyModelWith(dir, tokenizer, "llama");
        var result = CliRunner.Run("export", model, "--gguf", dir["m.gguf"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("tokenizer.json", result.Error);
        Assert.False(File.Exists(dir["m.gguf"]));
    }
}
