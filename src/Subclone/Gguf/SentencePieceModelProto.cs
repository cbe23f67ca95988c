using System.Text;

namespace Subclone.Gguf;

/// <summary>
/// The parts of a SentencePiece <c>.model</c> (a protobuf ModelProto) a GGUF vocabulary needs: every piece with
/// its score and type, the trainer's model type and special ids, and the normaliser's add_dummy_prefix. Read with a
/// minimal protobuf decoder; a malformed file is an <see cref="InvalidDataException"/> naming it.
/// </summary>
public sealed record SentencePieceModelProto(IReadOnlyList<string> Pieces, IReadOnlyList<float> Scores, IReadOnlyList<int> Types,
    int ModelType, int UnkId, int BosId, int EosId, int PadId, bool AddDummyPrefix)
{
    /// <summary>trainer_spec.model_type of a BPE model (Llama's, llama2.c's).</summary>
    public const int Bpe = 2;

    /// <summary>Reads <paramref name="path"/>.</summary>
    public static SentencePieceModelProto Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        List<string> pieces = []; List<float> scores = []; List<int> types = [];
        int modelType = 1, unk = 0, bos = 1, eos = 2, pad = -1;
        bool dummyPrefix = true;
        try
        {
            foreach (var (field, value) in Fields(file))
            {
                if (field == 1)
                {
                    string piece = ""; float score = 0; int type = 1;
                    foreach (var (f, v) in Fields(value.Bytes))
                        if (f == 1) piece = Encoding.UTF8.GetString(v.Bytes);
                        else if (f == 2) score = BitConverter.Int32BitsToSingle((int)v.Number);
                        else if (f == 3) type = (int)v.Number;
                    pieces.Add(piece); scores.Add(score); types.Add(type);
                }
                else if (field == 2)
                    foreach (var (f, v) in Fields(value.Bytes))
                        switch (f)
                        {
                            case 3: modelType = (int)v.Number; break;
                            case 40: unk = (int)v.Number; break;
                            case 41: bos = (int)v.Number; break;
                            case 42: eos = (int)v.Number; break;
                            case 43: pad = (int)v.Number; break;
                        }
                else if (field == 3)
                    foreach (var (f, v) in Fields(value.Bytes))
                        if (f == 3) dummyPrefix = v.Number != 0;
            }
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"{path}: is not a SentencePiece model (truncated or malformed protobuf)");
        }
        if (pieces.Count == 0) throw new InvalidDataException($"{path}: is not a SentencePiece model (no pieces)");
        return new(pieces, scores, types, modelType, unk, bos, eos, pad, dummyPrefix);
    }

    readonly record struct FieldValue(ulong Number, byte[] Bytes);

    // Protobuf wire format: a varint key (field << 3 | wire type), then a varint, 8 bytes, a length-prefixed run or 4 bytes.
    static IEnumerable<(int Field, FieldValue Value)> Fields(byte[] data)
    {
        int pos = 0;
        while (pos < data.Length)
        {
            ulong key = Varint(data, ref pos);
            int field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0: yield return (field, new(Varint(data, ref pos), [])); break;
                case 1: yield return (field, new(BitConverter.ToUInt64(data, pos), [])); pos = checked(pos + 8); break;
                case 2:
                    int length = checked((int)Varint(data, ref pos));
                    if (length < 0 || length > data.Length - pos) throw new ArgumentException("length past the end");
                    yield return (field, new(0, data[pos..(pos + length)])); pos += length; break;
                case 5: yield return (field, new(BitConverter.ToUInt32(data, pos), [])); pos = checked(pos + 4); break;
                default: throw new ArgumentException($"wire type {key & 7}");
            }
        }
    }

    static ulong Varint(byte[] data, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = data[pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new ArgumentException("varint too long");
    }
}
