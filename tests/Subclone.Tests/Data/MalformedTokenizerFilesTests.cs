using System.Text;
using Subclone.Checkpoints;
using Subclone.Data.Tokenizers;
using Subclone.Tests.Support;

namespace Subclone.Tests.Data;

/// <summary>Broken tokenizer files fail to load with one InvalidDataException naming the file and the problem, never
/// with an exception from deep inside (the cases fuzzing found; fuzz/crashes holds the fuzzer's own inputs).</summary>
public sealed class MalformedTokenizerFilesTests : IDisposable
{
    readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    InvalidDataException Rejected(Func<object?> load, string file, params string[] fragments)
    {
        var e = Assert.Throws<InvalidDataException>(load);
        Assert.StartsWith(_temp[file] + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        foreach (string fragment in fragments) Assert.Contains(fragment, e.Message);
        return e;
    }

    string Write(string name, string text)
    {
        File.WriteAllText(_temp[name], text);
        return _temp[name];
    }

    [Fact]
    public void WordPiece_vocabulary_without_UNK()
    {
        Write("vocab.txt", "[PAD]\n[CLS]\n[SEP]\nthe\n");
        Rejected(() => TokenizerLoader.FromModelDirectory(_temp.Path), "vocab.txt", "no [UNK] token");
    }

    [Theory]
    [InlineData("{\"do_lower_case\": fals\n}", "is not valid JSON")]
    [InlineData("[true]", "is not a JSON object")]
    public void Tokenizer_config_that_is_not_a_JSON_object(string config, string expected)
    {
        Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
        Write("tokenizer_config.json", config);
        Rejected(() => TokenizerLoader.FromModelDirectory(_temp.Path), "tokenizer_config.json", expected);
    }

    [Theory]
    [InlineData("{\"a\": 0, \"b\": 2147483647}", "has id 2147483647")]
    [InlineData("{\"a\": -1}", "has id -1")]
    [InlineData("{\"a\": \"0\"}", "has id \"0\"")]
    [InlineData("{}", "has no tokens")]
    [InlineData("{\"a\": 0, \"a\": 1}", "Duplicate property 'a'")]
    [InlineData("[\"a\"]", "not a JSON object")]
    public void GPT2_vocab_json_with_ids_no_model_can_use(string vocab, string expected)
    {
        Write("vocab.json", vocab);
        Write("merges.txt", "#version: 0.2\n");
        Rejected(() => TokenizerLoader.FromModelDirectory(_temp.Path), "vocab.json", expected);
    }

    [Fact]
    public void GPT2_merge_of_a_token_the_vocabulary_lacks()
    {
        Write("vocab.json", "{\"a\": 0, \"b\": 1}");
        Write("merges.txt", "#version: 0.2\na x\n");
        Rejected(() => TokenizerLoader.FromModelDirectory(_temp.Path), "merges.txt", "InvalidOperationException");
    }

    [Fact]
    public void SentencePiece_model_that_is_not_protobuf()
    {
        File.WriteAllBytes(_temp["tokenizer.model"], [0x0A, 0xFF, 0x00, 0x01]);
        Rejected(() => TokenizerLoader.FromModelDirectory(_temp.Path), "tokenizer.model", "not a SentencePiece model");
    }

    /// <summary>tokenizer.bin: max_token_length, then per token a score, a length and the bytes.</summary>
    string Llama2cTokenizer(int tokens, Func<int, (int Length, string Piece)> token)
    {
        var bytes = new List<byte>(BitConverter.GetBytes(8));
        for (int i = 0; i < tokens; i++)
        {
            var (length, piece) = token(i);
            bytes.AddRange([.. BitConverter.GetBytes(0f), .. BitConverter.GetBytes(length), .. Encoding.Latin1.GetBytes(piece)]);
        }
        File.WriteAllBytes(_temp["tok.bin"], [.. bytes]);
        return _temp["tok.bin"];
    }

    [Fact]
    public void Llama2c_token_length_past_the_end_is_refused_before_allocating_it()
    {
        string path = Llama2cTokenizer(300, i => i == 7 ? (int.MaxValue, "") : (1, " "));
        Rejected(() => Subclone.Data.Tokenizers.Llama2cTokenizer.Load(path, 300), "tok.bin", "token 7 has length 2147483647");
    }

    [Fact]
    public void Llama2c_vocab_size_larger_than_the_file_can_hold()
    {
        string path = Llama2cTokenizer(300, i => (1, i == 0 ? " " : "a"));
        Rejected(() => Subclone.Data.Tokenizers.Llama2cTokenizer.Load(path, 1_000_000), "tok.bin", "too short for 1000000 tokens");
    }

    [Fact]
    public void Llama2c_vocabulary_without_the_space_token_or_byte_ids()
    {
        string path = Llama2cTokenizer(300, i => (1, "a"));
        Rejected(() => Subclone.Data.Tokenizers.Llama2cTokenizer.Load(path, 300), "tok.bin", "has no \" \" token");
        Rejected(() => Subclone.Data.Tokenizers.Llama2cTokenizer.Load(path, 100), "tok.bin", "vocab_size 100 is below the 259");
    }
}
